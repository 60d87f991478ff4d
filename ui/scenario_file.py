"""Save as scenario / load scenario: the current settings as a scenario YAML that `ecocomp run` accepts, and a
scenario file read back into the settings. Loading goes through the core's own loader and checks
(``compensation.scenario.load_scenario``), so a file the CLI refuses is refused here with the same messages."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import yaml

from compensation.money import convert
from compensation.problems import InputError
from compensation.scenario import budget_for_years, load_scenario, overrides_for_year

from .settings import bounds_from, groups_from, scalar_parameters
from .state import Keys

MAX_BYTES = 200_000


def settings_yaml(s, upload: dict | None, name: str = "my_settings") -> str:
    """The settings ``s`` as a scenario file. With an upload in use, ``data:`` names the uploaded file: keep
    the YAML beside it (paths in scenarios are relative to the scenario file)."""
    spec = s.spec()
    spec["scenario"] = {"name": name, "title": spec["scenario"]["title"], "title_en": spec["scenario"]["title_en"]}
    spec["data"] = upload["name"] if upload else "default"
    head = ("# ecocomp scenario saved by the front end (保存为情景). Run it with:\n"
            f"#   ecocomp run {name}.yaml --out runs/\n")
    if upload:
        head += f"# data: keep this file in the same folder as {upload['name']} (sha256 {upload['sha']})\n"
    return head + yaml.safe_dump(spec, allow_unicode=True, sort_keys=False, default_flow_style=False)


def read_settings_yaml(data: bytes, name: str, regions, data_label: str) -> tuple[dict, object, object, list[str]]:
    """A scenario file's settings as widget values and editor tables: (values, bounds, groups, notes). The
    data named by the file are not loaded (the page's data stay in use; said in the notes); only its first
    year is shown; values the page has no widget for are listed in the notes. Raises InputError."""
    if len(data) > MAX_BYTES:
        raise InputError(f"the scenario file is larger than {MAX_BYTES:,} bytes", "情景文件过大", file=name)
    try:
        doc = yaml.safe_load(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("scenario files must be UTF-8 text", "情景文件必须为 UTF-8 编码", file=name) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputError(f"not valid YAML{where}", f"YAML 格式错误{where}", file=name) from None
    if not isinstance(doc, dict):
        raise InputError("a scenario file must be a mapping of keys", "情景文件必须是键值映射", file=name)
    notes = []
    if str(doc.get("data", "default")) != "default":
        notes.append(("url.data_kept", {"file": str(doc.get("data")), "label": data_label}))
        doc["data"] = "default"  # checked against the data in use below, not opened from the server's disk
    stem = Path(name).stem if Path(name).stem.isidentifier() else "uploaded"
    with tempfile.TemporaryDirectory(prefix="ecocomp-ui-sc-") as tmp:
        path = Path(tmp) / f"{stem}.yaml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        try:
            sc = load_scenario(path)
        except InputError as exc:  # name the user's file, not the temporary copy
            exc.report.problems = [replace(p, file=name) if p.file else p for p in exc.report.problems]
            raise
    spec = sc.spec
    years = sc.years
    year = years[0]
    if len(years) > 1:
        notes.append(("url.first_year", {"year": year, "years": ", ".join(map(str, years))}))
    budget = budget_for_years(spec, [year], sc.unit)[year]
    from .loading import method

    m = method(spec["method"])
    values = {Keys.METHOD: spec["method"], Keys.YEAR: int(year),
              Keys.POOL: float(convert(budget, sc.unit, "亿元")), Keys.OBJECTIVE: spec.get("objective", "proportional")}
    scalars = scalar_parameters(m, year)
    skipped = []
    for path_, v in overrides_for_year(spec.get("overrides") or {}, year).items():
        if path_ in scalars and isinstance(v, int | float) and not isinstance(v, bool):
            values[Keys.param(path_)] = float(v)
        else:
            skipped.append(path_)
    c = spec.get("constraints") or {}
    for key, use, ratio in (("floor_ratio", Keys.USE_FLOOR, Keys.FLOOR_RATIO),
                            ("cap_ratio", Keys.USE_CAP, Keys.CAP_RATIO)):
        if c.get(key) is not None:
            values[use], values[ratio] = True, float(c[key])
    bounds, unknown = bounds_from(c, regions)
    groups, other = groups_from(c)
    skipped += [f"constraints: {u}" for u in unknown + other]
    for k in ("horizontal", "carry", "cascade"):
        if spec.get(k):
            skipped.append(k)
    if skipped:
        notes.append(("url.skipped", {"keys": ", ".join(skipped)}))
    return values, bounds, groups, notes

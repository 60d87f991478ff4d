"""The import graph of the core is layered, with no arrow back up (the brief's "shape of the code"):

    schema/problems → money/io → validate → data → allocation, horizontal → scenario → run → cli

Each module of ``compensation`` has a layer below; a module may import only modules of its own layer or a
lower one. A new module must be placed in LAYERS by its author (the test names it), which is the moment to
decide where it belongs. The calculation core never imports streamlit."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "compensation"

# module prefix -> layer; the longest matching prefix wins
LAYERS = {
    "compensation.schema": 0, "compensation.problems": 0, "compensation.formats": 0, "compensation.progress": 0, "compensation.equity": 0,
    "compensation.money": 1, "compensation.io": 1, "compensation.cache": 1, "compensation.headers": 1, "compensation.uploads": 1,
    "compensation.xlsx": 1,  # the fast XLSX writer, used by io (imports nothing of compensation)
    "compensation.csv_encode": 1,  # the CSV encoder io uses (imports xlsx only)
    "compensation.notice_book": 1,  # the notice workbook's XML writer, used by notice (imports xlsx only)
    "compensation.validate": 2,
    "compensation.data": 3, "compensation.synth": 3,
    "compensation.allocation": 4, "compensation.horizontal": 4,
    "compensation.calibration": 5,
    "compensation.gains": 7,
    "compensation.cascade": 5,
    "compensation.notice": 5,
    "compensation.scenario": 6,
    "compensation.compare": 7, "compensation.run": 7,
    "compensation.cascade_sweep": 8,
    "compensation.sweep": 8,
    "compensation.cli": 9,
    "compensation": 9,  # the package __init__ re-exports the public API
}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(module: str) -> int | None:
    best = None
    for prefix, layer in LAYERS.items():
        if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, layer)
    return None if best is None else best[1]


def imports_of(path: Path) -> set[str]:
    """Absolute names of the compensation modules a file imports (relative imports resolved, also
    ``from . import x`` and imports inside functions)."""
    mod = module_name(path)
    package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "compensation")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.split(".")[0] == "compensation":
                target = node.module
            else:
                continue
            for alias in node.names:  # `from pkg import sub` may name a submodule
                if alias.name == "__version__":  # a constant, not a dependency on the package's API
                    continue
                sub = f"{target}.{alias.name}"
                sub_path = ROOT.parent / Path(*sub.split("."))
                out.add(sub if sub_path.with_suffix(".py").exists() or sub_path.is_dir() else target)
    return out


def _modules():
    return sorted(p for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_has_a_layer():
    missing = [module_name(p) for p in _modules() if layer_of(module_name(p)) is None]
    assert not missing, f"place these modules in tests/test_layers.py LAYERS: {missing}"


def test_no_import_goes_up_a_layer():
    upward = []
    for path in _modules():
        mod = module_name(path)
        own = layer_of(mod)
        for target in imports_of(path):
            theirs = layer_of(target)
            if theirs is not None and own is not None and theirs > own:
                upward.append(f"{mod} (layer {own}) imports {target} (layer {theirs})")
    assert not upward, "\n".join(upward)


def test_core_never_imports_streamlit():
    offenders = [module_name(p) for p in _modules()
                 if any(n.split(".")[0] == "streamlit" for n in _plain_imports(p))]
    assert not offenders


def _plain_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module)
    return names


def test_layer_check_catches_an_upward_import(tmp_path, monkeypatch):
    """The checker itself: a money module importing run must be reported (guards against a checker that
    silently finds nothing)."""
    fake_root = tmp_path / "compensation"
    fake_root.mkdir()
    (fake_root / "__init__.py").write_text("")
    (fake_root / "run.py").write_text("")
    (fake_root / "money.py").write_text("from .run import x\nfrom . import run\n")
    monkeypatch.setattr(__import__(__name__), "ROOT", fake_root)
    assert imports_of(fake_root / "money.py") == {"compensation.run"}
    assert layer_of("compensation.money") < layer_of("compensation.run")

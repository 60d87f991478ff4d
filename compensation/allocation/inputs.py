"""Where each input of a method comes from on a given region table: the data, a declared fallback, or nowhere.

A method reads region columns in its components and eligibility rules: ``{column: X}``, ``{column: X,
fallback: Y}`` (an inline stand-in), ``optional: true`` columns, eligibility columns with ``if_missing: all``,
the numerator and denominator of a ratio factor. Province data lack several of them (standard revenue,
forest parks, assessment scores...). A method file declares what stands in for each under a top-level key::

    fallbacks:
      forest_parks_km2:
        use: {column: national_reserves_km2}     # or {constant: 0}
        en: forest-park weight moved to national nature reserves (no province table of forest parks)
        zh: 无分省国家森林公园数据,其权重并入国家级自然保护区

Rules, in order, for an input column ``c`` of a method on a table ``T``:

1. ``c`` in ``T`` with at least one value          → source ``data``;
2. an inline ``fallback: Y`` with ``Y`` in ``T``     → ``fallback`` (the method's own proxy);
3. a declared fallback whose stand-in column is in ``T`` (or a constant) → ``fallback`` (filled before the
   method runs, by :func:`apply_fallbacks`);
4. an eligibility rule with ``if_missing: all``      → ``fallback`` (every region eligible);
5. ``optional: true``                                → ``optional`` (counted as 0, with a warning);
6. otherwise                                         → ``missing`` (the method stops with an error naming it).

Filling a share-normalised indicator from another column moves that indicator's weight onto the other one
(share(x) + share(x) = 2·share(x)), which is how "forest-park weight moved to reserves" is expressed. Every
fallback that a run used is listed in its explanation and its ``parameters.csv``: no silent zeros."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..problems import InputError

SOURCES = ("data", "fallback", "optional", "missing")


def column_refs(spec, where: str = "", out: list | None = None) -> list[dict]:
    """Every region column a method spec reads: {column, where, fallback, optional, if_missing}, in order."""
    out = [] if out is None else out
    if isinstance(spec, dict):
        name = spec.get("name", where)
        here = f"{where}/{name}" if isinstance(name, str) and name != where else where
        col = spec.get("column")
        if isinstance(col, str):
            out.append({"column": col, "where": here, "fallback": spec.get("fallback"),
                        "optional": bool(spec.get("optional")), "if_missing": spec.get("if_missing")})
        for key in ("numerator", "denominator"):
            if isinstance(spec.get(key), str):
                out.append({"column": spec[key], "where": here, "fallback": None, "optional": False,
                            "if_missing": None})
        if isinstance(spec.get("weighted_sum"), dict):
            for c in spec["weighted_sum"]:
                out.append({"column": c, "where": here, "fallback": None, "optional": False, "if_missing": None})
        if isinstance(spec.get("ratio"), list):
            for item in spec["ratio"]:
                if isinstance(item, str):
                    out.append({"column": item, "where": here, "fallback": None, "optional": False,
                                "if_missing": None})
        for key, value in spec.items():
            if key not in ("column", "numerator", "denominator", "weighted_sum", "name", "label") \
                    and isinstance(value, dict | list):
                column_refs(value, here, out)
    elif isinstance(spec, list):
        for item in spec:
            column_refs(item, where, out)
    return out


def method_refs(method) -> list[dict]:
    refs = column_refs(method.eligible, "eligible") if method.eligible else []
    for comp in method.components:
        column_refs(comp, comp.get("name", ""), refs)
    return refs


def _input_columns(method) -> tuple:
    """The region columns ``method`` reads (:func:`method_refs`), found once per method object (a loaded method
    file does not change: a new version is a new object) and again if its components or eligibility are
    replaced by other objects."""
    made = method.__dict__.get("_input_columns")
    if made is None or made[0] is not method.components or made[1] is not method.eligible:
        made = method.__dict__["_input_columns"] = (method.components, method.eligible,
                                                   tuple(r["column"] for r in method_refs(method)))
    return made[2]


class RegionColumns:
    """The region table's columns as arrays, each read from the frame at most once per evaluation of a method
    (a method reads the same column for its eligibility, its fallbacks and its components). Nothing is copied:
    the arrays are the frame's own, handed out as read-only views.

    ``stored(c)``: the array pandas stores for column ``c`` (a numpy array or an ExtensionArray), read by
    position with ``DataFrame._get_column_array`` — about 2 µs, where ``frame[c]`` (a Series, its column label
    looked up in an Arrow string index) costs 15–20 µs, and a county-scale allocate() reads a dozen columns.
    That method is pandas-internal (pandas 1.3 to 3.x, the range pyproject allows); without it, or for a label
    that is not unique, the Series is read (``series(c)``), and a test checks both give the same arrays.
    ``floats(c)``: ``pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float)`` (the stored array itself,
    or converted to float, when it is a numpy number column), empty values NaN. ``present(c)``: ``c`` is a
    column with at least one value, exactly ``not frame[c].isna().all()`` (a NaN scan of a numpy float column,
    ``count() > 0`` for other columns)."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.n = len(frame)
        self._series: dict = {}
        self._stored: dict = {}
        self._floats: dict = {}
        self._present: dict = {}

    def __contains__(self, col) -> bool:
        return col in self.frame.columns

    def series(self, col: str) -> pd.Series:
        s = self._series.get(col)
        if s is None:
            s = self._series[col] = self.frame[col]
        return s

    def stored(self, col: str):
        a = self._stored.get(col)
        if a is None:
            read = getattr(self.frame, "_get_column_array", None)
            loc = self.frame.columns.get_loc(col) if read is not None else None
            if isinstance(loc, int | np.integer):
                a = read(int(loc))
            else:  # no positional read, or the label is not unique (then frame[c] is a DataFrame: its error)
                s = self.series(col)
                a = s.array if isinstance(s.dtype, pd.api.extensions.ExtensionDtype) else s.to_numpy()
            if isinstance(a, np.ndarray) and a.flags.writeable:
                a = a.view()
                a.flags.writeable = False  # the frame's own data: read only
            self._stored[col] = a
        return a

    def floats(self, col: str) -> np.ndarray:
        v = self._floats.get(col)
        if v is None:
            a = self.stored(col)
            if isinstance(a, np.ndarray) and a.dtype.kind in "fiub":  # numeric: to_numpy(dtype=float) is this
                v = a.astype(float, copy=False)
            else:
                s = self.series(col)
                if not pd.api.types.is_numeric_dtype(s.dtype):
                    s = pd.to_numeric(s, errors="coerce")
                v = s.to_numpy(dtype=float)
            self._floats[col] = v
        return v

    def present(self, col: str) -> bool:
        p = self._present.get(col)
        if p is None:
            if col not in self.frame.columns:
                p = False
            else:
                a = self.stored(col)
                kind = a.dtype.kind if isinstance(a, np.ndarray) else ""
                if kind == "f":  # NaN is the only empty value (a first value that is not NaN settles it)
                    p = self.n > 0 and (not np.isnan(a[0]) or not bool(np.isnan(a).all()))
                elif kind and kind in "iub":  # no empty value
                    p = self.n > 0
                else:  # Series.isna() is pd.isna of its array
                    p = not bool(np.asarray(pd.isna(a)).all())
            self._present[col] = p
        return p


def _present(regions, col: str) -> bool:
    """``col`` is in the table with at least one value (``regions`` a DataFrame or its :class:`RegionColumns`)."""
    if isinstance(regions, RegionColumns):
        return regions.present(col)
    return col in regions.columns and not regions[col].isna().all()


def _declared(method, col: str, regions: pd.DataFrame) -> dict | None:
    """The declared fallback for ``col`` if it can be applied to ``regions``."""
    spec = (getattr(method, "fallbacks", None) or {}).get(col)
    if not spec:
        return None
    use = spec.get("use", {})
    if "constant" in use or ("column" in use and _present(regions, use["column"])):
        return spec
    return None


def _describe(use: dict) -> str:
    return f"column {use['column']}" if "column" in use else f"constant {use['constant']}"


def input_table(method, regions: pd.DataFrame) -> pd.DataFrame:
    """One row per input column of ``method``: where it is read, its source on ``regions`` (data, fallback,
    optional, missing), the rule that decided it (data, inline, declared, if_missing, optional, missing),
    what stands in, and the note (English and Chinese)."""
    rows, seen = [], {}
    for ref in method_refs(method):
        col = ref["column"]
        if col in seen:
            seen[col]["used_in"] += f"; {ref['where']}"
            continue
        row = {"input": col, "used_in": ref["where"], "source": "", "rule": "", "stands_in": "", "note_en": "",
               "note_zh": ""}
        if _present(regions, col):
            row["source"] = row["rule"] = "data"
            empty = int(regions[col].isna().sum())
            if empty:
                row["note_en"] = f"{empty} empty value(s) counted as 0"
                row["note_zh"] = f"{empty} 个空值按 0 计"
        elif ref["fallback"] and _present(regions, ref["fallback"]):
            row.update(source="fallback", rule="inline", stands_in=f"column {ref['fallback']}",
                       note_en=f"'{ref['fallback']}' stands in for '{col}' (declared in the component)",
                       note_zh=f"以 '{ref['fallback']}' 代替 '{col}'(组成部分中声明)")
        elif (spec := _declared(method, col, regions)) is not None:
            row.update(source="fallback", rule="declared", stands_in=_describe(spec["use"]), note_en=spec.get("en", ""),
                       note_zh=spec.get("zh", ""))
        elif ref["if_missing"] == "all":
            row.update(source="fallback", rule="if_missing", stands_in="all regions eligible",
                       note_en=f"no '{col}': every region is treated as eligible",
                       note_zh=f"缺少 '{col}':视所有地区为符合条件")
        elif ref["optional"]:
            row.update(source="optional", rule="optional", stands_in="0", note_en="optional input absent: counted as 0",
                       note_zh="可选输入缺失:按 0 计")
        else:
            row["source"] = row["rule"] = "missing"
            row["note_en"] = "no value in the data and no declared fallback: the method cannot run"
            row["note_zh"] = "数据中没有且未声明替代:方法无法运行"
        seen[col] = row
        rows.append(row)
    return pd.DataFrame(rows, columns=["input", "used_in", "source", "rule", "stands_in", "note_en", "note_zh"])


def apply_fallbacks(method, regions: pd.DataFrame, columns: RegionColumns | None = None
                    ) -> tuple[pd.DataFrame, list[dict]]:
    """``regions`` with every absent input that has a declared fallback filled in (a copy; the input is not
    changed), and the list of fallbacks used (declared, inline and eligibility ones) as
    {input, stands_in, note_en, note_zh}. ``columns``: the :class:`RegionColumns` of ``regions`` if the caller
    has them (the check that every input is present then reads each column once for the whole evaluation)."""
    used = []
    filled = regions
    if all(_present(regions if columns is None else columns, c) for c in _input_columns(method)):
        # nothing stands in for anything:
        return filled, used  # spare building the input table (a few ms per allocate() at county scale)
    for row in input_table(method, regions).itertuples(index=False):
        if row.source != "fallback":
            continue
        spec = _declared(method, row.input, regions) if row.rule == "declared" else None
        if spec is not None:
            if filled is regions:
                filled = regions.copy()
            use = spec["use"]
            if "column" in use:
                filled[row.input] = pd.to_numeric(regions[use["column"]], errors="coerce")
            elif isinstance(use["constant"], str):  # a category, e.g. an assessment class
                filled[row.input] = use["constant"]
            else:
                try:
                    filled[row.input] = np.full(len(regions), float(use["constant"]))
                except (TypeError, ValueError):
                    raise InputError(f"method '{method.name}': fallback for '{row.input}' has a constant that is "
                                     f"not a number: {use['constant']!r}",
                                     f"方法 '{method.name}':'{row.input}' 的替代常数不是数字") from None
        used.append({"input": row.input, "stands_in": row.stands_in, "note_en": row.note_en,
                     "note_zh": row.note_zh, "declared": spec is not None})
    return filled, used


def check_fallbacks(method) -> None:
    """A method file's ``fallbacks:`` are well formed: each names an input the method reads and says what
    stands in (a column or a number)."""
    inputs = {r["column"] for r in method_refs(method)}
    for col, spec in (getattr(method, "fallbacks", None) or {}).items():
        use = spec.get("use") if isinstance(spec, dict) else None
        where = f"method '{method.name}', fallbacks.{col}"
        if col not in inputs:
            raise InputError(f"{where}: the method reads no column '{col}'", f"{where}:方法不读取列 '{col}'",
                             file=method.path or None)
        if not isinstance(use, dict) or not ({"column", "constant"} & set(use)) or not spec.get("en"):
            raise InputError(f"{where}: needs 'use: {{column: X}}' or 'use: {{constant: N}}' and a note 'en'",
                             f"{where}:需要 'use: {{column: X}}' 或 'use: {{constant: N}}' 以及说明 'en'",
                             file=method.path or None)

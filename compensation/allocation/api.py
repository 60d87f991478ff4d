"""allocate(): a method's targets, the constraints real budgets have, an exact integer allocation."""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

import numpy as np
import pandas as pd

from ..money import UNITS, parse_amount, unit_name, whole_amount
from ..problems import InputError, Problem
from . import constrained, exact_parts, feasibility, solver
from .inputs import RegionColumns
from .methods import component_labels, component_table, evaluate, row_sums, total_target
from .params import Method, load_method

OBJECTIVES = ("proportional", "min_abs", "minimax")
# solver_info["name"] for each path of the proportional objective (constrained.proportional)
PROPORTIONAL_SOLVERS = {"closed form": "closed-form water-filling",
                        "dual active set": "dual active-set Newton + exact KKT polish",
                        "QP": "HiGHS QP (arrays)"}
LAST_YEAR = "last_year_amount_10k_cny"
LAST_YEAR_UNIT = "万元"


@dataclass
class Constraints:
    """Bounds on the final amounts. Ratios are relative to last year's amount (``last_year_amount_10k_cny``);
    absolute floors, caps and locks are in the output unit, keyed by adcode or name. A group is
    ``{"name": "west", "members": [adcodes or names] | {"region_group": "west"}, "min_share": 0.6,
    "max_share": 0.8}`` with shares of the whole budget."""

    floor_ratio: float | None = None
    cap_ratio: float | None = None
    floors: dict = field(default_factory=dict)
    caps: dict = field(default_factory=dict)
    locks: dict = field(default_factory=dict)
    exclude: list = field(default_factory=list)
    groups: list = field(default_factory=list)


@dataclass
class AllocationResult:
    table: pd.DataFrame
    status: str
    diagnostics: list[Problem]
    unit: str
    budget: int
    parameters: dict
    solver_info: dict
    method: Method
    regions: pd.DataFrame
    trace: dict
    objective: str
    carried_in: int = 0  # added to this year's pool from last year's carried deductions (output unit)
    carried_out: int = 0  # deductions carried to next year's pool (output unit)

    @property
    def exact_components(self) -> list[str]:
        """Components paid exactly (a published rate or a declared amount), not shared by the formula."""
        from .exact_parts import is_exact

        return [s["name"] for s in self.method.components if is_exact(s)]

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "time_limited") and "final" in self.table

    def explain(self, region, lang: str = "zh") -> str:
        from .explain import explain

        return explain(self, region, lang)

    @property
    def marginal(self) -> pd.DataFrame:
        from .explain import marginal

        return marginal(self)

    @property
    def marginal_by_function(self) -> pd.DataFrame:
        from .explain import marginal_by_function

        return marginal_by_function(self)

    def parameters_table(self) -> pd.DataFrame:
        rows = [{"parameter": k, **{c: (v[c] if not isinstance(v[c], dict | list) else str(v[c]))
                                    for c in ("value", "unit", "status", "effective", "label_zh", "label_en",
                                              "source")}}
                for k, v in self.parameters.items()]
        rows += [{"parameter": f"fallback:{f['input']}", "value": f["stands_in"], "unit": "", "status": "fallback",
                  "effective": "", "label_zh": f["note_zh"], "label_en": f["note_en"],
                  "source": f"method file {self.method.name}"} for f in self.trace.get("fallbacks", [])]
        return pd.DataFrame(rows)

    def diagnostics_table(self) -> pd.DataFrame:
        return pd.DataFrame([p.as_dict() for p in self.diagnostics],
                            columns=["severity", "file", "row", "region", "column", "message_en", "message_zh",
                                     "expected", "found"])


class _Labels:
    """'adcode name' of region i, made only when a message needs it (building all 2,848 labels in Python took
    about 40 % of allocate() at county scale, for messages that are rarely written)."""

    def __init__(self, regions: pd.DataFrame):
        self.regions = regions  # the columns are read on the first label asked for (converting two string
        self.codes = self.names = None  # columns to arrays cost about 1 ms at county scale on every call)
        self.n = len(regions)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i) -> str:
        if self.codes is None:
            self.codes = self.regions["adcode"].to_numpy()
            self.names = self.regions["name_zh"].to_numpy() if "name_zh" in self.regions else None
        name = "" if self.names is None else str(self.names[int(i)])
        return f"{self.codes[int(i)]} {name}".strip()


def _table_of(cols: dict, n: int, zero_signs: bool = False) -> pd.DataFrame:
    """The result table from its columns (numpy and pandas arrays in order, each made for the table and held
    by nothing else), in one construction; ``zero_signs``: −0.0 made 0.0 in every float column (−0.0 + 0.0 =
    0.0: no "-0.0" in the exported tables of a result).

    Fastest, when every column is a float64, int64 or bool numpy array or an ExtensionArray (allocate()'s
    columns always are): the table's blocks are made here — the numpy columns of one dtype copied into one
    2-D array (the block pandas would make of them), each ExtensionArray its own block — and handed to
    ``pandas.api.internals.create_dataframe_from_blocks`` (pandas ≥ 3.0; it checks and converts nothing, so
    this function makes exactly what the constructor would: a third of the time of ``_from_arrays`` at county
    scale). Otherwise ``DataFrame._from_arrays`` (pandas-internal, 1.x to 3.x; each array checked and
    converted as the constructor does), else ``DataFrame(cols)``. The column labels' Index is made once per
    set of names (making it from the names — Arrow strings — was a quarter of ``DataFrame(cols)``). All three
    give the same table (tested)."""
    index = pd.RangeIndex(n)
    names = tuple(cols)
    blocks = _blocks(list(cols.values()), n, zero_signs) if _FROM_BLOCKS is not None else None
    if blocks is not None:
        return _FROM_BLOCKS(blocks, index=index, columns=_labels_index(names).copy())
    for v in cols.values() if zero_signs else ():
        if isinstance(v, np.ndarray) and v.dtype.kind == "f":
            np.add(v, 0.0, out=v)
    build = getattr(pd.DataFrame, "_from_arrays", None)
    if build is None:
        return pd.DataFrame(cols, index=index, copy=False)
    # a new Index object over the cached labels: a table's columns.name can be set without reaching others
    return build(list(cols.values()), columns=_labels_index(names).copy(), index=index)


try:  # pandas ≥ 3.0
    from pandas.api.internals import create_dataframe_from_blocks as _FROM_BLOCKS
except ImportError:  # pragma: no cover - pandas 2.x
    _FROM_BLOCKS = None

_BLOCK_DTYPES = (np.dtype(np.float64), np.dtype(np.int64), np.dtype(bool))


def _blocks(arrays: list, n: int, zero_signs: bool) -> list | None:
    """The blocks pandas makes of these columns — (2-D array of the numpy columns of one dtype, their
    positions) per dtype, (ExtensionArray, [position]) for each other column — or None when a column is
    something else (a Series, another numpy dtype, a wrong length), for which the constructor must decide."""
    by_dtype: dict = {}
    extension = []
    for i, a in enumerate(arrays):
        if isinstance(a, np.ndarray):
            if a.dtype not in _BLOCK_DTYPES or a.shape != (n,):
                return None
            by_dtype.setdefault(a.dtype, []).append(i)
        elif isinstance(a, pd.api.extensions.ExtensionArray) and len(a) == n:
            extension.append((a, np.array([i], dtype=np.intp)))
        else:
            return None
    blocks = []
    for dtype, where in by_dtype.items():
        block = np.empty((len(where), n), dtype=dtype)
        for row, i in enumerate(where):
            block[row] = arrays[i]
        if zero_signs and dtype.kind == "f":
            np.add(block, 0.0, out=block)  # −0.0 + 0.0 = 0.0
        blocks.append((block, np.array(where, dtype=np.intp)))
    return blocks + extension


@lru_cache(maxsize=64)
def _labels_index(names: tuple) -> pd.Index:
    return pd.Index(list(names))


BINDING_CODES = ("", "floor", "cap", "zero_target", "locked", "excluded")  # binding text by code
FIXED_CODES = {"locked": 4, "excluded": 5}


def _text(values: tuple, codes: np.ndarray):
    """A text column ``values[codes]`` of the dtype pandas gives text (``str``), made by one take over the few
    distinct values (converting an object array of 2,848 strings cost about 0.3 ms per column)."""
    return _text_values(values).take(codes)


@lru_cache(maxsize=16)
def _text_values(values: tuple):
    """The distinct values of a text column as a pandas array (never written to: made once)."""
    return pd.Index(list(values), dtype="str").array


def _blank(n: int):
    """A text column of n empty strings: a copy (a new array object, no data copied) of one made once per n."""
    return _blank_made(n).copy()


@lru_cache(maxsize=8)
def _blank_made(n: int):
    return _text(("",), np.zeros(n, dtype=np.intp))


def _labels(regions: pd.DataFrame) -> _Labels:
    return _Labels(regions)


def _resolver(regions: pd.DataFrame):
    index = {}
    for col in ("name_en", "name_zh", "adcode"):
        if col in regions:
            for i, v in enumerate(regions[col].astype(str)):
                index[v] = i
    return index


def _find(index, key, what: str) -> int:
    k = str(key)
    if k not in index:
        raise InputError(f"{what}: no region with adcode or name '{key}'", f"{what}:找不到代码或名称为 '{key}' 的地区")
    return index[k]


def build_bounds(c: Constraints, regions: pd.DataFrame, unit: str, diagnostics: list):
    """Lower and upper bounds per region (in ``unit``) and the kind of fixing ('locked', 'excluded')."""
    lo, hi, fixed = _bounds(c, regions, RegionColumns(regions), unit, diagnostics)
    return lo, hi, np.array(BINDING_CODES, dtype=object)[fixed]


def _bounds(c: Constraints, regions: pd.DataFrame, columns: RegionColumns, unit: str, diagnostics: list):
    """:func:`build_bounds` with the kind of fixing as codes into BINDING_CODES (0 none, 4 locked, 5 excluded)
    and the region columns read through ``columns``."""
    n = columns.n
    lo, hi = np.zeros(n), np.full(n, np.inf)
    fixed = np.zeros(n, dtype=np.int8)
    if c.floor_ratio is not None or c.cap_ratio is not None:
        if LAST_YEAR not in columns:
            raise InputError(f"floor or cap ratios need column '{LAST_YEAR}' (last year's amount, 万元)",
                             f"按上年比例设上下限需要列 '{LAST_YEAR}'(上年补助额,万元)", column=LAST_YEAR)
        last = columns.floats(LAST_YEAR)  # pd.to_numeric(…, errors="coerce") as floats
        last = last * UNITS[LAST_YEAR_UNIT] / UNITS[unit]
        if np.isfinite(last.sum()):  # every amount finite (a NaN or ±inf makes the sum one of them): as it is
            missing, some_missing, filled = None, False, last
        else:
            missing = np.isnan(last)
            some_missing = bool(missing.any())
            filled = np.nan_to_num(last)  # NaN → 0, ±inf → the largest finite floats
        if some_missing:  # no ratio bound for them
            diagnostics.append(Problem(
                "warning", f"{int(missing.sum())} region(s) have no last-year amount: no ratio bound for them",
                f"{int(missing.sum())} 个地区没有上年补助额:不对其设比例上下限", column=LAST_YEAR))
        if c.floor_ratio is not None:
            lo = np.maximum(lo, float(c.floor_ratio) * filled)
            lo = np.where(missing, 0.0, lo) if some_missing else lo  # the zeros lo started from
        if c.cap_ratio is not None:
            hi = np.minimum(hi, float(c.cap_ratio) * filled)
            hi = np.where(missing, np.inf, hi) if some_missing else hi
    index = _resolver(regions) if (c.floors or c.caps or c.locks or c.exclude) else {}
    for key, v in (c.floors or {}).items():
        i = _find(index, key, "floors")
        lo[i] = max(lo[i], float(v))
    for key, v in (c.caps or {}).items():
        i = _find(index, key, "caps")
        hi[i] = min(hi[i], float(v))
    for key, v in (c.locks or {}).items():
        i = _find(index, key, "locks")
        lo[i] = hi[i] = float(v)
        fixed[i] = FIXED_CODES["locked"]
    for key in c.exclude or []:
        i = _find(index, key, "exclude")
        lo[i] = hi[i] = 0.0
        fixed[i] = FIXED_CODES["excluded"]
    return lo, hi, fixed


def _share(g: dict, key: str, name: str) -> Decimal | None:
    v = g.get(key)
    if v is None:
        return None
    try:
        d = parse_amount(v, f"group '{name}' {key}", allow_zero=True)
    except InputError:
        raise InputError(f"group '{name}': {key} must be a number between 0 and 1, found {v!r}",
                         f"组 '{name}':{key} 必须是 0 到 1 之间的数,实际为 {v!r}", key=key, found=repr(v)) from None
    if d > 1:
        raise InputError(f"group '{name}': {key} must be a number between 0 and 1, found {v!r}",
                         f"组 '{name}':{key} 必须是 0 到 1 之间的数,实际为 {v!r}", key=key, found=repr(v))
    return d


def group_shares(c: Constraints, regions: pd.DataFrame) -> list:
    """Groups as (name, member mask, minimum share, maximum share or None), shares as exact Decimals."""
    index = _resolver(regions) if c.groups else {}
    out = []
    for g in c.groups or []:
        name = g.get("name", "group")
        members = g.get("members", [])
        m = np.zeros(len(regions), dtype=bool)
        if isinstance(members, dict):
            for col, val in members.items():
                if col not in regions:
                    raise InputError(f"group '{name}': no column '{col}' in the region data",
                                     f"组 '{name}':地区数据中没有列 '{col}'", column=col)
                vals = val if isinstance(val, list | tuple) else [val]
                m |= regions[col].astype(str).isin([str(v) for v in vals]).to_numpy()
        else:
            for key in members:
                m[_find(index, key, f"group '{name}'")] = True
        if not m.any():
            raise InputError(f"group '{name}' has no members", f"组 '{name}' 没有成员")
        out.append((name, m, _share(g, "min_share", name) or Decimal(0), _share(g, "max_share", name)))
    return out


def group_bounds(min_share, max_share, budget: int) -> tuple[float, float]:
    """Whole-unit group bounds: share × budget in exact decimal arithmetic, the minimum rounded up and the
    maximum down (a minimum of 5,000.4 means at least 5,001). The one place for this rule."""
    smin = Decimal(repr(min_share)) if isinstance(min_share, float) else Decimal(min_share or 0)
    gmin = float(math.ceil(smin * int(budget)))
    if max_share is None:
        return gmin, float(budget)
    smax = Decimal(repr(max_share)) if isinstance(max_share, float) else Decimal(max_share)
    return gmin, float(math.floor(smax * int(budget)))


def build_groups(c: Constraints, regions: pd.DataFrame, budget: int):
    """Groups as (name, member mask, minimum, maximum) with whole-unit bounds (:func:`group_bounds`)."""
    return [(name, m, *group_bounds(smin, smax, budget)) for name, m, smin, smax in group_shares(c, regions)]


def _floor_ratio_fix(c: Constraints, regions, columns, unit, target, hi, pool: int, groups, exact,
                     info: dict) -> Problem:
    """Infeasible with a floor ratio: the largest ratio that works, everything else unchanged
    (feasibility.largest_floor_ratio), as a message and as ``info['largest_floor_ratio']`` (None: none works)."""
    lo0, _, _ = _bounds(dataclasses.replace(c, floor_ratio=None), regions, columns, unit, [])
    last = columns.floats(LAST_YEAR) * UNITS[LAST_YEAR_UNIT] / UNITS[unit]
    cur = float(c.floor_ratio)
    r = feasibility.largest_floor_ratio(target, np.ceil(lo0 - 1e-9), last, hi, pool, groups, exact, upper=cur)
    info["largest_floor_ratio"] = r
    if r is None:
        return Problem("info", f"even without a floor ratio these settings are infeasible: lowering the floor ratio "
                               f"(now {cur:.0%}) alone does not help",
                       f"即使不设下限比例,当前设置仍不可行:仅降低下限比例(当前 {cur:.0%})无法解决",
                       key="constraints.floor_ratio")
    return Problem("info", f"the largest floor ratio that works with the other settings unchanged is {r:.2%} of "
                           f"last year's amount (now {cur:.0%})",
                   f"其他设置不变时,可行的最大下限比例为上年金额的 {r:.2%}(当前 {cur:.0%})",
                   key="constraints.floor_ratio", expected=f"≤ {r:.2%}", found=f"{cur:.0%}")


def allocate(regions: pd.DataFrame, method="redline_function_weighted", budget=0, budget_unit: str = "亿元",
             unit: str = "万元", year: int = 2023, constraints: Constraints | None = None,
             objective: str = "proportional", overrides: dict | None = None, integer: bool = True,
             time_limit: float | None = 30, budget_rounding: str = "refuse", carried_in: int = 0) -> AllocationResult:
    """Split ``budget`` (in ``budget_unit``) among ``regions`` by ``method``; final amounts are whole numbers of
    ``unit`` adding up to the budget exactly.

    ``objective``: 'proportional' (closed form, exact), 'min_abs' or 'minimax' (PuLP). ``integer`` applies to
    the PuLP objectives: True solves a MILP, False an LP whose result is then rounded by largest remainder
    (the closed form always rounds that way). Infeasible constraints do not raise: the result has
    ``status == 'infeasible'``, the reasons in ``diagnostics`` and no ``final`` column. Bad input (unknown
    method, parameter, region or column) raises InputError.

    Components paid at a published rate or a declared amount are paid exactly and only the rest of the pool is
    shared by the formula under the constraints; deductions that the method carries to next year's pool are
    taken off after the allocation (exact_parts.py). ``carried_in`` (whole ``unit``) is last year's carried
    deductions, added to this year's pool: Σ final = budget + carried_in − carried_out."""
    t_start = time.perf_counter()
    m = load_method(method)
    if objective not in OBJECTIVES:
        raise InputError(f"unknown objective '{objective}': use {', '.join(OBJECTIVES)}",
                         f"未知的目标 '{objective}':请用 {', '.join(OBJECTIVES)}")
    unit = unit_name(unit)
    # exact: a Decimal in budget_unit made a whole number of ``unit`` (refused, or rounded with a warning)
    budget_int, budget_note = whole_amount(budget, unit_name(budget_unit), unit, "budget", budget_rounding)
    if "adcode" not in regions:
        raise InputError("region data has no 'adcode' column", "地区数据缺少 'adcode' 列", column="adcode")
    regions = _own_frame(regions)
    # pandas deep-copies a frame's attrs (sources, problems) into every column it hands out: set aside while
    # the columns are read, given back to the frame the result keeps
    attrs, regions.attrs = regions.attrs, {}
    try:
        keys, columns = _adcode_rank(regions, RegionColumns(regions))
        return _allocate(regions, columns, keys, m, budget_int, budget_note, unit, year, constraints, objective,
                         overrides, integer, time_limit, carried_in, (t_start, time.perf_counter()))
    finally:
        regions.attrs = attrs


def _own_frame(regions: pd.DataFrame) -> pd.DataFrame:
    """The frame the result keeps: ``regions.reset_index(drop=True)``, a new frame whose rows are numbered
    0 … n − 1 (with pandas ≥ 3, copy-on-write: data is copied only when one side writes); a shallow copy when
    they already are (the same frame in a third of the time; pandas 2 without copy-on-write: a copy)."""
    index = regions.index
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1 and index.name is None:
        return regions.copy(deep=not _COPY_ON_WRITE)
    return regions.reset_index(drop=True)


_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3 or bool(pd.get_option("mode.copy_on_write") is True)


def _adcode_rank(regions: pd.DataFrame, columns: RegionColumns) -> tuple[np.ndarray, RegionColumns]:
    """Makes ``regions['adcode']`` text (in place: ``regions`` is allocate()'s own frame) and returns the rank of
    each adcode (ties in rounding go by adcode) and the columns of ``regions``; InputError on a duplicate adcode.

    The rank is what ``constrained.settle`` makes of the adcodes (a stable argsort of argsort of the adcodes as
    a numpy ``str`` array), found without making that array (converting 2,848 adcodes cost 0.3 ms, more than
    half the allocation itself): the adcodes are sorted as numbers that sort and compare as the strings do
    (:func:`code_keys`); adcodes it cannot encode are sorted as a numpy ``str`` array."""
    if columns.stored("adcode").dtype != "str":
        regions["adcode"] = regions["adcode"].astype(str)
        columns = RegionColumns(regions)
    keys = code_keys(columns.stored("adcode"))
    if keys is not None and bool((keys[1:] > keys[:-1]).all()):  # in adcode order already: no two alike
        return np.arange(len(keys)), columns
    if keys is not None:
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        if not (ordered[1:] == ordered[:-1]).any():
            rank = np.empty(len(keys), dtype=np.int64)
            rank[order] = np.arange(len(keys))
            return rank, columns
    codes = columns.series("adcode")
    if codes.duplicated().any():
        dup = codes[codes.duplicated()].iloc[0]
        raise InputError(f"adcode {dup} appears more than once", f"行政区划代码 {dup} 重复", column="adcode")
    return codes.to_numpy(dtype=str), columns


def code_keys(codes) -> np.ndarray | None:
    """Text codes as unsigned 64-bit numbers that sort and compare as the strings do (numpy's order for ``str``:
    by code point, a prefix first). Each code's UTF-8 bytes (UTF-8 byte order is code-point order) are padded
    with zero bytes (below every byte of a code) to 8 and read as one big-endian number. Codes of up to 16
    decimal digits (9- and 12-digit township and village codes) are first written two digits to a byte, 11 × a
    + b with '0' … '9' as 1 … 10 and the padding as 0, an order-keeping map of two symbols into one byte.
    None when a code is longer, missing, empty or holds a NUL byte, or the codes are not Arrow strings."""
    n = len(codes)  # a text column's array (or the Series)
    if n == 0 or not (isinstance(codes.dtype, pd.StringDtype) and codes.dtype.storage == "pyarrow"):
        return None
    import pyarrow as pa

    chunked = (codes.array if isinstance(codes, pd.Series) else codes).__arrow_array__()
    arr = chunked.chunk(0) if chunked.num_chunks == 1 else chunked.combine_chunks()
    if arr.null_count or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    _, offsets_buf, data_buf = arr.buffers()
    offset_type = np.dtype(np.int64 if pa.types.is_large_string(arr.type) else np.int32)
    offsets = np.frombuffer(offsets_buf, dtype=offset_type, count=n + 1, offset=arr.offset * offset_type.itemsize)
    lengths = np.diff(offsets)
    longest = int(lengths.max())
    if lengths.min() <= 0 or longest > 16:
        return None
    data = np.frombuffer(data_buf, dtype=np.uint8, count=int(offsets[n] - offsets[0]), offset=int(offsets[0]))
    if longest > 8 and not (data.min() >= ord("0") and data.max() <= ord("9")):  # only digits are paired
        return None
    if longest <= 8 and not data.all():  # a NUL byte (numpy's str ignores it at the end of a string)
        return None
    if longest <= 8 and lengths.min() == longest:  # one length ≤ 8 (county codes): no rows to pad
        return _fixed_width_keys(data, n, longest)
    rows = np.zeros((n, 16 if longest > 8 else 8), dtype=np.uint8)
    if lengths.min() == longest:  # one length: the bytes are the rows
        rows[:, :longest] = data.reshape(n, longest)
    else:
        j = np.arange(longest)
        inside = j < lengths[:, None]
        rows[:, :longest][inside] = data[((offsets[:-1] - offsets[0])[:, None] + j)[inside]]
    if longest > 8:  # pairs of bytes (a, b) as one byte, by a table of all 65,536 pairs
        rows = _digit_pairs()[rows.view(">u2")]
    return np.ascontiguousarray(rows).view(">u8").ravel().astype(np.uint64)


def _fixed_width_keys(data: np.ndarray, n: int, width: int) -> np.ndarray:
    """:func:`code_keys` of n codes of ``width`` ≤ 8 bytes each, back to back in ``data``: code i is the 8 bytes
    from byte width × i read as one big-endian number (the next code's first bytes, or zeros past the end, in
    its last 8 − width bytes), those bytes then cleared — the zero padding. One strided read, no rows."""
    padded = np.zeros(n * width + 8, dtype=np.uint8)
    padded[:n * width] = data
    words = np.ndarray((n,), dtype=">u8", buffer=padded, strides=(width,))
    keys = words.astype(np.uint64)  # native byte order, a new array
    if width < 8:
        keys &= np.uint64(((1 << (8 * width)) - 1) << (8 * (8 - width)))
    return keys


@lru_cache(maxsize=1)
def _digit_pairs() -> np.ndarray:
    """The byte 11 × a + b ≤ 120 for each pair of bytes (big-endian uint16) of digits or padding, with '0' … '9'
    as 1 … 10 and the zero byte as 0 (other pairs do not occur)."""
    symbol = np.zeros(256, dtype=np.uint16)
    symbol[ord("0"):ord("9") + 1] = np.arange(1, 11)
    pair = np.arange(65536)
    return (symbol[pair >> 8] * 11 + symbol[pair & 255]).astype(np.uint8)


def _allocate(regions, columns, keys, m, budget_int, budget_note, unit, year, constraints, objective, overrides,
              integer, time_limit, carried_in, clock) -> AllocationResult:
    """allocate() once its arguments are checked and the regions prepared (see there). ``clock``: the times
    allocate() started and finished preparing the regions (``solver_info['phases']`` says where time went)."""
    t_start, t_prepared = clock
    n = len(keys)
    carried_in = int(carried_in)
    pool_int = budget_int + carried_in  # this year's budget plus deductions carried from last year
    comp, ctx = evaluate(m, columns, pool_int * UNITS[unit], year, overrides)  # {component: amounts in 元}
    diagnostics: list[Problem] = list(ctx.diagnostics) + ([budget_note] if budget_note else [])
    labels_c = component_labels(m)
    exact = exact_parts.exact_amounts(component_table(comp, n), ctx.exact, labels_c, unit) if ctx.exact else \
        exact_parts.ExactParts([], np.zeros(n, dtype=np.int64))
    diagnostics += exact.diagnostics
    formula = [c for c in comp if c not in ctx.exact and c not in ctx.carry]
    if len(formula) == len(comp) and ctx.totals is not None:  # every component: their sums are made already
        raw = np.maximum(ctx.totals, 0.0)  # total_target of the same arrays
    else:
        raw = total_target([comp[c] for c in formula], n)
    flex_int = pool_int - exact.total
    raw_total = raw.sum()  # (one sum, used below)
    if raw_total <= 0 and flex_int > 0:
        raise InputError(f"method '{m.name}' gives every region a zero target (no eligible region, or the "
                         f"indicators are all zero)", f"方法 '{m.name}' 使所有地区的目标为零(无符合条件的地区或指标全为零)")
    scale = max(flex_int, 0) * UNITS[unit] / raw_total if raw_total > 0 else 0.0
    if abs(scale - 1) > 1e-9 and raw_total > 0:
        diagnostics.append(Problem(
            "info", f"the method's amounts add up to {constrained.human(raw_total / UNITS[unit], unit)}; "
                    f"targets are scaled by {scale:.6g} to the budget {constrained.human(max(flex_int, 0), unit)}"
                    + (" left after the amounts paid exactly" if exact.total else ""),
            f"方法测算金额合计 {constrained.human(raw_total / UNITS[unit], unit)},按 {scale:.6g} 比例缩放至预算 "
            f"{constrained.human(max(flex_int, 0), unit)}" + ("(扣除按标准全额支付的部分后)" if exact.total else "")))
    # each component in the output unit, the formula's scaled to the budget
    comp_unit = {name: v * (scale / UNITS[unit]) if name in formula else v * (1.0 / UNITS[unit])
                 for name, v in comp.items()}
    for name in ctx.carry:  # shown as the deduction actually carried, once the allocation is known
        comp_unit[name] = np.zeros(n)
    target_formula = raw * (scale / UNITS[unit])
    target = target_formula + exact.amounts
    t_method = time.perf_counter()
    c = constraints or Constraints()
    lo, hi, fixed = _bounds(c, regions, columns, unit, diagnostics)
    lo, hi = np.ceil(lo - 1e-9), np.where(np.isfinite(hi), np.floor(hi + 1e-9), hi)  # final amounts are whole
    groups = build_groups(c, regions, pool_int)
    labels = _labels(regions)
    # the result table's columns, collected in order and made into one DataFrame at the end (assigning ~20
    # columns one by one to a DataFrame cost more than the allocation itself at county scale)
    # text columns: copies of the regions' arrays (new array objects over the same immutable Arrow data: the
    # table is built without copying, and a write to one frame must not reach the other)
    cols: dict = {"adcode": _text_column(columns, "adcode")}  # already text (_adcode_rank)
    for col in ("name_zh", "name_en"):
        cols[col] = _text_column(columns, col) if col in columns else _blank(n)
    for name, v in comp_unit.items():
        cols[name] = v
    cols["target"] = np.asarray(target)
    if LAST_YEAR in columns:
        cols["last_year"] = _numbers(columns, LAST_YEAR) * UNITS[LAST_YEAR_UNIT] / UNITS[unit]
    cols["lower"] = lo
    cols["upper"] = hi
    params = ctx.params
    info = {"name": "closed-form water-filling", "path": "closed form", "runtime": 0.0, "gap": 0.0,
            "objective": objective}
    info["groups"] = [{"name": g, "min": gmin, "max": gmax, "regions": int(gm.sum())} for g, gm, gmin, gmax in groups]
    # the formula part's problem: exact amounts taken off the budget, bounds and group bounds (exact_parts.py)
    exact_text = ", ".join(labels_c.get(e, (e, e))[1] for e in ctx.exact)
    lo_f, hi_f, budget_f, groups_f, problems = exact_parts.shift(exact.amounts, lo, hi, pool_int, groups, labels,
                                                                unit, exact_text)
    if not problems:
        problems = feasibility.diagnose(target_formula, lo_f, hi_f, budget_f, groups_f, labels, unit)
    if problems and c.floor_ratio is not None:
        problems.append(_floor_ratio_fix(c, regions, columns, unit, target_formula, hi, pool_int, groups,
                                         exact.amounts, info))
    if problems:
        info["runtime"] = time.perf_counter() - t_start
        return AllocationResult(_table_of(cols, n), "infeasible", diagnostics + problems, unit, budget_int, params, info, m,
                                regions, ctx.trace, objective)
    t_bounds = time.perf_counter()
    # a region whose formula target is zero stays at its floor, under every objective
    hi_eff = np.where(target_formula > 0, hi_f, lo_f)
    status = "optimal"
    moved = None
    left = None if time_limit is None else float(time_limit) - (time.perf_counter() - t_start)
    if objective == "proportional":
        t0 = time.perf_counter()
        x, final, pinfo = constrained.proportional(target_formula, lo_f, hi_eff, flex_int, groups_f, integer=True,
                                                   keys=keys, time_limit=left)
        path = pinfo["path"]
        info.update(name=PROPORTIONAL_SOLVERS.get(path, path), path=path, runtime=time.perf_counter() - t0,
                    scale=pinfo.get("scale"), objective_value=pinfo.get("objective"))
        if pinfo.get("iterations") is not None:  # steps of the dual active-set method (general path)
            info["iterations"] = pinfo["iterations"]
        if pinfo.get("fallback"):  # the dual method could not verify its optimum: say that the QP solved it
            info["fallback"] = pinfo["fallback"]
            diagnostics.append(Problem("warning", pinfo["fallback"],
                                       "对偶有效集法未能验证最优解(KKT),改用 HiGHS 二次规划求解"))
        if pinfo.get("settled_by"):
            info["settled_by"] = pinfo["settled_by"]
        status = pinfo["status"]
        moved = pinfo.get("moved_by")
        if x is None or final is None:
            return _no_solution(_table_of(cols, n), status, diagnostics, unit, budget_int, params, info, m, regions, ctx,
                                objective, time_limit)
        ref = target_formula * pinfo["scale"] if pinfo.get("scale") is not None else target_formula
    else:
        sol = solver.solve(target_formula, lo_f, hi_eff, float(flex_int), groups_f, objective, integer, left)
        path = "MILP" if integer else "LP"
        info.update(name=f"{'PuLP + ' if sol.backend == 'pulp' else ''}{sol.solver}", path=path,
                    runtime=sol.runtime, gap=sol.gap, objective_value=sol.objective, mip=integer, backend=sol.backend)
        status = sol.status
        info["solver_message"] = sol.message
        if sol.status == "time_limited" and sol.x is not None:
            gap = "unknown" if sol.gap is None else f"{sol.gap:.2%}"
            diagnostics.append(Problem(
                "warning", f"the solver stopped at the time limit ({time_limit}s, model build included) after "
                           f"{sol.runtime:.2f}s; the best solution it had found is paid (whole amounts, every bound "
                           f"met, the total exact) but it is not proven optimal (gap {gap})",
                f"求解器在时间上限({time_limit} 秒,含建模)处停止,用时 {sol.runtime:.2f} 秒;按其已找到的最好解支付"
                f"(整数金额,满足全部上下限,总额精确),但未证明最优(间隙 {gap})"))
        if sol.x is None:
            if sol.status == "time_limited":  # nothing is paid: no feasible point was found in time
                info["path"] = f"{path} (time-limited, no solution)"
                return _no_solution(_table_of(cols, n), "time_limited", diagnostics, unit, budget_int, params, info, m,
                                    regions, ctx, objective, time_limit, sol.runtime)
            diagnostics.append(Problem(
                "error", f"the solver reported the problem {sol.status} ({sol.message}) although the bounds and "
                         f"groups passed the feasibility check",
                f"求解器报告问题{sol.status}({sol.message}),但上下限与分组已通过可行性检查"))
            return AllocationResult(_table_of(cols, n), "infeasible" if sol.status == "infeasible" else "error",
                                    diagnostics, unit, budget_int, params, info, m, regions, ctx.trace, objective)
        else:
            x = sol.x
            final = x.astype(np.int64) if integer else None
            if final is None or not _meets(final, flex_int, lo_f, hi_eff, groups_f):
                final = constrained.settle(x, flex_int, lo_f, hi_eff, groups_f, keys)
                if final is None:
                    final = constrained.settle_milp(x, flex_int, lo_f, hi_eff, groups_f)
                if final is None:
                    return _no_solution(_table_of(cols, n), "infeasible_integer", diagnostics, unit, budget_int, params, info,
                                        m, regions, ctx, objective, time_limit)
        ref = target_formula
    t_solved = time.perf_counter()
    if groups_f and (moved is None or objective != "proportional"):  # (read only when there are groups)
        moved = group_moved(x, target_formula, lo_f, hi_eff, groups_f)
    # at a bound: within float noise of the solve (1e-9 relative); moved by it: the unconstrained amount (the
    # common scale × target) lies beyond the bound by more than that noise
    tol = 1e-9 * np.maximum(1.0, np.abs(x))
    zero = (target_formula <= 0) & (hi_f > lo_f) if (target_formula <= 0).any() else False
    binding = np.where((np.abs(x - lo_f) <= tol) & (ref < lo_f - tol), 1,  # codes into BINDING_CODES
                       np.where((np.abs(x - hi_f) <= tol) & (ref > hi_f + tol), 2, np.where(zero, 3, 0)))
    if c.locks or c.exclude:  # a fixing comes first
        binding = np.where(fixed != 0, fixed, binding)
    final = np.asarray(final, dtype=np.int64)
    if exact.amounts.any():  # the formula part plus the amounts paid exactly (adding zeros changes nothing:
        x = x + exact.amounts  # a −0.0 it would make 0.0 is made 0.0 below)
        final = final + exact.amounts
    if exact.total:
        cols["exact"] = exact.amounts  # paid at published rates or declared amounts
    carried = np.zeros(len(final), dtype=np.int64)
    for name in ctx.carry:  # deductions carried to next year's pool, on the allocated amount
        spec = next(s for s in m.components if s["name"] == name)
        rate = -np.minimum(ctx.trace.get(f"{name}.rate", np.zeros(len(final))), 0.0)
        base_amount = row_sums([comp_unit[b] for b in spec["base"] if b in comp_unit], n)
        share = rate * np.divide(base_amount, target, out=np.zeros(len(final)), where=target > 0)
        d = exact_parts.carried_deductions(final - carried, share)
        comp_unit[name] = -d
        cols[name] = -d.astype(float)
        carried += d
    if ctx.carry:
        final = final - carried
    cols["allocated"] = x
    cols["adj_constraints"] = x - target
    cols["adj_rounding"] = (final + carried if ctx.carry else final) - x
    cols["final"] = final.astype(np.int64)  # a new array (astype copies)
    cols["share"] = cols["final"] / pool_int
    cols["binding"] = _text(BINDING_CODES, binding)
    # group bounds that moved a region held by no bound of its own, e.g. "min:west"
    cols["binding_groups"] = _blank(n) if not groups_f else \
        np.where(binding == 0, moved, "").astype(str)
    if ctx.carry:
        cols["carried_out"] = carried
    t_table = time.perf_counter()
    table = _table_of(cols, n, zero_signs=True)
    assert int(cols["final"].sum()) == pool_int - int(carried.sum())  # the table's column
    t_end = time.perf_counter()
    # seconds by phase: regions prepared, method evaluated and scaled, bounds built and checked (feasibility
    # diagnosis included), solved and rounded, result columns and table (the last two: the "table")
    info["phases"] = {"prepare": t_prepared - t_start, "method": t_method - t_prepared, "bounds": t_bounds - t_method,
                      "solve": t_solved - t_bounds, "table": t_end - t_solved, "table_construction": t_end - t_table}
    return AllocationResult(table, status, diagnostics, unit, budget_int, params, info, m, regions, ctx.trace,
                            objective, carried_in, int(carried.sum()))


def _numbers(columns: RegionColumns, col: str) -> np.ndarray:
    """``pd.to_numeric(frame[col], errors="coerce").to_numpy()``: floats from the column cache when the column is
    a numpy number column (the same values), the pandas expression otherwise."""
    a = columns.stored(col)
    if isinstance(a, np.ndarray) and a.dtype.kind in "iuf":
        return columns.floats(col)
    return pd.to_numeric(columns.series(col), errors="coerce").to_numpy()


def _text_column(columns: RegionColumns, col: str):
    """A region column for the result table: a copy of its ExtensionArray (for Arrow strings a new array object
    over the same immutable data, so a write to one frame cannot reach the other), else the Series (its dtype
    kept as it is)."""
    a = columns.stored(col)
    return a.copy() if isinstance(a, pd.api.extensions.ExtensionArray) else columns.series(col)


def _meets(y, total: int, lo, hi, groups) -> bool:
    """Whole amounts y meet the total, the bounds and every group bound exactly."""
    if int(np.sum(y)) != int(total) or (y < lo).any() or (y > hi).any():
        return False
    return all(gmin <= int(y[m].sum()) <= gmax for _, m, gmin, gmax in groups)


def group_moved(x, target, lo, hi, groups) -> np.ndarray:
    """Group bounds that moved each region: the group's total sits at its bound and the region, free within
    its own bounds, was moved in the direction that bound pushes (up for a minimum, down for a maximum)."""
    moved = np.full(np.size(x), "", dtype=object)
    for name, m, gmin, gmax in groups:
        s = float(x[m].sum())
        free = m & (x > lo + 1e-9) & (x < hi - 1e-9)
        for side, at, push in (("min", abs(s - gmin) <= 1e-6 * max(1.0, gmin), x > target + 1e-9),
                               ("max", abs(s - gmax) <= 1e-6 * max(1.0, gmax), x < target - 1e-9)):
            if at:
                sel = free & push
                moved[sel] = np.where(moved[sel] == "", f"{side}:{name}", moved[sel] + f",{side}:{name}")
    return moved


def _no_solution(table, status, diagnostics, unit, budget_int, params, info, m, regions, ctx, objective,
                 time_limit, runtime: float | None = None):
    if status == "time_limited":
        after = "" if runtime is None else f"; the solver stopped after {runtime:.2f}s"
        after_zh = "" if runtime is None else f";求解器于 {runtime:.2f} 秒停止"
        diagnostics.append(Problem(
            "error", f"no solution within {time_limit}s (the time limit, model build included{after}): nothing is "
                     f"paid; raise the time limit or use the proportional objective",
            f"在 {time_limit} 秒内未找到解(时间上限,含建模{after_zh}):不支付任何金额;请提高时间上限或改用按比例目标"))
    elif status == "infeasible_integer":
        status = "infeasible"
        diagnostics.append(Problem(
            "error", "the bounds and groups can be met in fractions of a unit but not in whole units (overlapping "
                     "groups whose whole-unit bounds exclude each other): widen a group's share by one unit",
            "上下限与分组只能以非整数单位满足,无法以整数单位满足(重叠分组的整数界限相互排斥):请将某组份额放宽一个单位"))
    else:
        diagnostics.append(Problem("error", f"the solver reported: {info.get('solver_message', status)}",
                                   f"求解器报告:{info.get('solver_message', status)}"))
    return AllocationResult(table, status, diagnostics, unit, budget_int, params, info, m, regions, ctx.trace,
                            objective)

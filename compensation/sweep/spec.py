"""What a sweep varies and how: parsing ``--vary`` and a scenario's ``sweep:`` section, checking every value
before anything is computed, and drawing the parameter points (a grid, or a seeded Monte Carlo sample).

Inputs that can be varied: a method parameter holding a number (``weights.biodiversity``), ``budget`` (the
swept year's budget, in the scenario's budget unit, rounded half-up to a whole output unit for each draw),
``constraints.floor_ratio`` and ``constraints.cap_ratio``. Data uncertainty (``sweep.data``) draws each value
of the region table the method uses within ± a fraction set by the value's status."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..problems import InputError

SPECIAL = ("budget", "constraints.floor_ratio", "constraints.cap_ratio")
DATA_STATUSES = ("verified", "recalled", "estimate", "illustrative", "synthetic")
MAX_POINTS = 100_000


@dataclass
class Vary:
    """One varied input: a grid of values, listed values, or a range [lo, hi] for Monte Carlo."""

    path: str
    values: list[float] | None = None  # grid or listed values
    low: float | None = None  # range
    high: float | None = None

    @property
    def is_range(self) -> bool:
        return self.values is None

    def span(self) -> tuple[float, float]:
        if self.is_range:
            return float(self.low), float(self.high)
        return float(min(self.values)), float(max(self.values))


@dataclass
class SweepSpec:
    varies: list[Vary]
    samples: int | None = None  # None: a grid
    seed: int = 0
    data: dict[str, float] = field(default_factory=dict)  # status -> ± fraction
    data_columns: list[str] | None = None  # None: every numeric column the method uses

    def size(self) -> int:
        """Number of points, computed without building them (``--max-points`` is checked against this)."""
        if self.samples is not None:
            return int(self.samples)
        if not self.varies:
            return 1
        return math.prod(len(v.values) if v.values is not None else 2 for v in self.varies)


def _err(msg_en: str, msg_zh: str, key: str = "", file: str = "") -> InputError:
    return InputError(msg_en, msg_zh, key=key, file=file)


WHAT_ZH = {"the start": "起点", "the end": "终点", "each value": "每个取值"}


def _finite(x: float, what: str, where: str, key: str, file: str) -> float:
    if not math.isfinite(x):
        raise _err(f"{where}: {what} must be a finite number, found {x}",
                   f"{where}:{WHAT_ZH.get(what, what)}必须是有限数值,实际 {x}", key, file)
    return x


def parse_vary(spec: str, key: str = "--vary", file: str = "") -> Vary:
    """'path=a:b:n' (n grid points from a to b), 'path=a,b,c' (listed values) or 'path=a:b' (a range for
    Monte Carlo; as a grid, its two ends). Refuses NaN/inf, a zero-width range and fewer than 2 grid points."""
    where = f"{key} '{spec}'"
    if "=" not in str(spec):
        raise _err(f"{where}: expected PARAM=SPEC, e.g. weights.biodiversity=0.8:1.6:5",
                   f"{where} 格式错误,应为 参数=取值,例如 weights.biodiversity=0.8:1.6:5", key, file)
    path, values = str(spec).split("=", 1)
    path = path.strip()
    if not path:
        raise _err(f"{where}: the parameter name is empty", f"{where}:参数名为空", key, file)
    try:
        if ":" in values:
            parts = [float(x) for x in values.split(":")]
            if len(parts) not in (2, 3):
                raise ValueError
        else:
            parts = [float(x) for x in values.split(",")]
    except ValueError:
        raise _err(f"{where}: values must be numbers as a:b:n (grid), a:b (range) or a,b,c (values)",
                   f"{where}:取值应为数字,格式 a:b:n、a:b 或 a,b,c", key, file) from None
    if ":" in values:
        lo = _finite(parts[0], "the start", where, key, file)
        hi = _finite(parts[1], "the end", where, key, file)
        if not lo < hi:
            raise _err(f"{where}: the range {lo:g}:{hi:g} is empty or reversed; the start must be below the end",
                       f"{where}:区间 {lo:g}:{hi:g} 宽度为零或方向相反,起点须小于终点", key, file)
        if len(parts) == 3:
            n = parts[2]
            if not math.isfinite(n) or n != int(n) or n < 2:
                raise _err(f"{where}: the number of grid points must be a whole number ≥ 2, found {n:g}",
                           f"{where}:网格点数须为不小于 2 的整数,实际 {n:g}", key, file)
            if n > MAX_POINTS:
                raise _err(f"{where}: {int(n):,} grid points exceed the limit of {MAX_POINTS:,}",
                           f"{where}:网格点数 {int(n):,} 超过上限 {MAX_POINTS:,}", key, file)
            return Vary(path, values=[float(v) for v in np.linspace(lo, hi, int(n))])
        return Vary(path, low=lo, high=hi)
    for v in parts:
        _finite(v, "each value", where, key, file)
    if len(set(parts)) < 2:
        raise _err(f"{where}: give at least two different values", f"{where}:至少给出两个不同的取值", key, file)
    return Vary(path, values=parts)


def parse_samples(samples, key: str = "--samples", file: str = "") -> int | None:
    """None (a grid) or a whole number ≥ 1; 0, negative or fractional sizes are refused (never a silent grid)."""
    if samples is None:
        return None
    if isinstance(samples, bool) or not isinstance(samples, int | np.integer):
        try:
            f = float(samples)
        except (TypeError, ValueError):
            f = float("nan")
        if not (math.isfinite(f) and f == int(f)):
            raise _err(f"{key}: the number of Monte Carlo samples must be a whole number, found {samples!r}",
                       f"{key}:蒙特卡洛样本数须为整数,实际 {samples!r}", key, file)
        samples = int(f)
    if samples < 1:
        raise _err(f"{key}: the number of Monte Carlo samples must be at least 1, found {samples} "
                   f"(leave it out for a grid)", f"{key}:蒙特卡洛样本数须至少为 1,实际 {samples}(网格扫描请不要给出样本数)",
                   key, file)
    return int(samples)


def parse_data_uncertainty(section, file: str = "", key: str = "sweep.data") -> dict[str, float]:
    """{status: ± fraction}, each fraction in [0, 1)."""
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise _err("expected a mapping of data status to a ± fraction, e.g. {illustrative: 0.2, recalled: 0.05}",
                   "应为数据状态到浮动比例的映射,例如 {illustrative: 0.2, recalled: 0.05}", key, file)
    out = {}
    for status, frac in section.items():
        if status not in DATA_STATUSES:
            raise _err(f"unknown data status '{status}'; known: {', '.join(DATA_STATUSES)}",
                       f"未知的数据状态 '{status}'", f"{key}.{status}", file)
        try:
            f = float(frac)
        except (TypeError, ValueError):
            f = float("nan")
        if isinstance(frac, bool) or not (math.isfinite(f) and 0 <= f < 1):
            raise _err(f"the ± fraction for '{status}' must be a number from 0 to below 1, found {frac!r}",
                       f"'{status}' 的浮动比例须在 0 到 1(不含)之间,实际 {frac!r}", f"{key}.{status}", file)
        if f > 0:
            out[str(status)] = f
    return out


def sweep_points(spec: SweepSpec, max_points: int = MAX_POINTS) -> pd.DataFrame:
    """The parameter points of a grid (every combination) or a Monte Carlo sample (uniform on each range).

    The size is checked against ``max_points`` before anything is built."""
    n = spec.size()
    if n > max_points:
        raise _err(f"{n:,} points exceed --max-points {max_points:,}", f"参数组合数 {n:,} 超过上限 {max_points:,}",
                   "--max-points")
    cols = [v.path for v in spec.varies]
    if spec.samples is not None:
        rng = np.random.default_rng(spec.seed)
        data = {}
        for v in spec.varies:
            lo, hi = v.span()
            data[v.path] = rng.uniform(lo, hi, spec.samples)
        return pd.DataFrame(data, columns=cols, index=pd.RangeIndex(spec.samples))
    grids = [v.values if v.values is not None else [v.low, v.high] for v in spec.varies]
    return pd.DataFrame(list(itertools.product(*grids)), columns=cols)


def from_section(section, file: str = "") -> SweepSpec:
    """A scenario's ``sweep:`` section: {samples, seed, vary: {param: [lo, hi] | "a:b:n" | [values...]},
    data: {status: ± fraction}, data_columns: [...]}."""
    if section is None:
        return SweepSpec([])
    if not isinstance(section, dict):
        raise _err("the sweep section must be a mapping", "sweep 部分必须是映射", "sweep", file)
    known = {"samples", "seed", "vary", "data", "data_columns"}
    for k in section:
        if k not in known:
            raise _err(f"unknown key '{k}' in the sweep section; known: {', '.join(sorted(known))}",
                       f"sweep 部分的未知键 '{k}'", f"sweep.{k}", file)
    varies = []
    for path, v in (section.get("vary") or {}).items():
        key = f"sweep.vary.{path}"
        if isinstance(v, str):
            text = v
        elif isinstance(v, list) and len(v) == 2 and all(_is_num(x) for x in v):
            text = f"{v[0]}:{v[1]}"
        elif isinstance(v, list) and all(_is_num(x) for x in v):
            text = ",".join(str(x) for x in v)
        else:
            raise _err("expected [low, high], a list of values or 'a:b:n'", "应为 [下限, 上限]、取值列表或 'a:b:n'",
                       key, file)
        varies.append(parse_vary(f"{path}={text}", key, file))
    seed = section.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise _err(f"the seed must be a whole number ≥ 0, found {seed!r}", f"随机种子须为非负整数,实际 {seed!r}",
                   "sweep.seed", file)
    cols = section.get("data_columns")
    if cols is not None and (not isinstance(cols, list) or not all(isinstance(c, str) for c in cols)):
        raise _err("data_columns must be a list of column names", "data_columns 必须是列名列表", "sweep.data_columns",
                   file)
    return SweepSpec(varies, parse_samples(section.get("samples"), "sweep.samples", file), int(seed),
                     parse_data_uncertainty(section.get("data"), file), cols)


def _is_num(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)

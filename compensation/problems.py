"""Problems found in user input: one shape for every validator (region data, monitoring data, methods,
scenarios), bilingual messages, warnings kept apart from errors, and one exception that carries them all."""

from __future__ import annotations

from dataclasses import dataclass, field

SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}


@dataclass(frozen=True)
class Problem:
    severity: str  # "error" | "warning"
    message_en: str
    message_zh: str = ""
    file: str = ""
    row: int | None = None  # spreadsheet row number: header is row 1, first data row is row 2
    column: str = ""
    region: str = ""  # "adcode name" of the row, where there is one
    expected: str = ""
    found: str = ""
    key: str = ""  # key path in a scenario or model file, e.g. "budget.amounts.2024"
    year: int | None = None

    def where(self, lang: str = "en", column_label=None, key_label=None) -> str:
        """Where the problem is, in words: file, row, region, column, key, year.

        In Chinese (``lang="zh"``) the whole phrase is Chinese; ``column_label`` / ``key_label`` map a column or a
        key to its label (the front end passes its table labels), and the raw name follows a translated label."""
        zh = lang == "zh"
        parts = []
        if self.file:
            parts.append(self.file)
        if self.row is not None:
            parts.append(f"第 {self.row} 行" if zh else f"row {self.row}")
        if self.region:
            parts.append(f"({self.region})")
        if self.column:
            if zh:
                label = column_label(self.column) if column_label else self.column
                parts.append(f"列“{label}”" if label == self.column else f"列“{label}”({self.column})")
            else:
                parts.append(f"column '{self.column}'")
        if self.key:
            label = key_label(self.key) if (zh and key_label) else None
            parts.append(f"“{label}”" if label else (f"键 {self.key}" if zh else f"key '{self.key}'"))
        if self.year is not None:
            parts.append(f"{self.year} 年" if zh else f"year {self.year}")
        if zh:
            return "，".join(parts)
        return ", ".join(parts) if parts else "input"

    def text(self, lang: str = "en", column_label=None, key_label=None) -> str:
        """One line: severity, where, message, expected/found — wholly Chinese when ``lang="zh"``."""
        if lang == "zh":
            where = self.where("zh", column_label, key_label)
            msg = self.message_zh or self.message_en
            tail = [x for x in (f"应为 {self.expected}" if self.expected else "",
                                f"实际 {self.found}" if self.found else "") if x]
            head = SEVERITY_ZH.get(self.severity, self.severity)
            return f"{head}:{where + ':' if where else ''}{msg}{'(' + ';'.join(tail) + ')' if tail else ''}"
        tail = []
        if self.expected:
            tail.append("expected " + self.expected)
        if self.found:
            tail.append("found " + self.found)
        extra = f" ({'; '.join(tail)})" if tail else ""
        return f"{self.severity.upper()}: {self.where()}: {self.message_en}{extra}"

    def bilingual(self) -> str:
        line = self.text("en")
        if self.message_zh:
            line += f"\n    {self.message_zh}"
        return line

    def as_dict(self) -> dict:
        return {
            "severity": self.severity,
            "file": self.file,
            "row": self.row,
            "region": self.region,
            "column": self.column,
            "message_en": self.message_en,
            "message_zh": self.message_zh,
            "expected": self.expected,
            "found": self.found,
            "key": self.key,
            "year": self.year,
        }


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)

    def add(self, severity: str, en: str, zh: str = "", **where) -> None:
        self.problems.append(Problem(severity, en, zh, **where))

    def error(self, en: str, zh: str = "", **where) -> None:
        self.add("error", en, zh, **where)

    def warning(self, en: str, zh: str = "", **where) -> None:
        self.add("warning", en, zh, **where)

    def extend(self, other: Report) -> None:
        self.problems.extend(other.problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def exit_code(self) -> int:
        """0 clean, 1 warnings only, 2 errors (the CLI's exit codes)."""
        return 2 if self.errors else (1 if self.warnings else 0)

    def raise_if_errors(self) -> None:
        if self.errors:
            raise InputError(self)

    def render(self, lang: str = "both") -> str:
        ordered = self.errors + self.warnings
        if lang == "both":
            lines = [p.bilingual() for p in ordered]
        else:
            lines = [p.text(lang) for p in ordered]
        lines.append(f"{len(self.errors)} error(s), {len(self.warnings)} warning(s) / {len(self.errors)} 个错误, "
                     f"{len(self.warnings)} 个警告")
        return "\n".join(lines)


class InputError(Exception):
    """Raised when input cannot be used. Carries every problem found, not only the first.

    The CLI prints ``report.render()`` and exits with code 2; the front end shows the same messages."""

    def __init__(self, report: Report | str, zh: str = "", **where):
        if isinstance(report, str):
            rep = Report()
            rep.error(report, zh, **where)
            report = rep
        self.report = report
        super().__init__(report.render("en"))

    def located(self, **where) -> InputError:
        """The same problems with ``where`` (file, key, year ...) filled in where a problem does not say it:
        an error found deep in a calculation is reported against the scenario file and year that caused it."""
        from dataclasses import replace

        rep = Report([replace(p, **{k: v for k, v in where.items() if not getattr(p, k)})
                      for p in self.report.problems])
        return InputError(rep)

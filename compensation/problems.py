"""Problems found in user input: one shape for every validator (region data, monitoring data, methods,
scenarios), bilingual messages, warnings kept apart from errors, and one exception that carries them all."""

from __future__ import annotations

from dataclasses import dataclass, field


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

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.region:
            parts.append(f"({self.region})")
        if self.column:
            parts.append(f"column '{self.column}'")
        if self.key:
            parts.append(f"key '{self.key}'")
        if self.year is not None:
            parts.append(f"year {self.year}")
        return ", ".join(parts) if parts else "input"

    def text(self, lang: str = "en") -> str:
        msg = self.message_zh if (lang == "zh" and self.message_zh) else self.message_en
        tail = []
        if self.expected:
            tail.append(("应为 " if lang == "zh" else "expected ") + self.expected)
        if self.found:
            tail.append(("实际 " if lang == "zh" else "found ") + self.found)
        extra = f" ({'; '.join(tail)})" if tail else ""
        return f"{self.severity.upper()}: {self.where()}: {msg}{extra}"

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

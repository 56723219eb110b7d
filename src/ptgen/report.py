"""Issues found in content, and the report that collects them."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def label(self) -> str:
        return {"error": "错误", "warning": "警告", "info": "提示"}[self.value]


@dataclass(frozen=True)
class Issue:
    """One finding: where it is, which rule, how bad, and a sentence a finance clerk can act on."""

    file: str
    line: int
    column: int
    code: str
    severity: Severity
    message: str
    text: str | None = None  # the offending text, as written

    def to_dict(self) -> dict:
        d = asdict(self)
        d["severity"] = self.severity.value
        return d


@dataclass
class Report:
    issues: list[Issue] = field(default_factory=list)

    def add(self, issue: Issue) -> None:
        self.issues.append(issue)

    def extend(self, issues) -> None:
        self.issues.extend(issues)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.WARNING]

    def blocks(self, strict: bool = False) -> bool:
        """True when the content must not be published (errors, or warnings with ``strict``)."""
        return bool(self.errors or (strict and self.warnings))

    def sorted(self) -> list[Issue]:
        return sorted(self.issues, key=lambda i: (i.file, i.line, i.column, i.code))

    def flatten(self, fields: tuple[str, ...] = ("file", "line", "code")) -> list[tuple]:
        return [tuple(getattr(i, f) for f in fields) for i in self.sorted()]

    def to_json(self) -> str:
        return json.dumps([i.to_dict() for i in self.sorted()], ensure_ascii=False, indent=2)

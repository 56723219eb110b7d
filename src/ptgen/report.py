"""Issues found in content, and the report that collects them."""
from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from pathlib import Path


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
    # The file's absolute path, so output can show it relative to any folder (``where``); ``file``
    # stays relative to the publication's parent folder (stable, machine-independent).
    path: str | None = field(default=None, compare=False, repr=False)

    def where(self, base: Path | None = None) -> str:
        """The file as shown to the user: relative to ``base`` (default: the current folder)."""
        if self.path is None:
            return self.file
        try:
            return Path(os.path.relpath(self.path, base or Path.cwd())).as_posix()
        except ValueError:  # another drive (Windows): no relative path exists
            return Path(self.path).as_posix()

    def to_dict(self, base: Path | None = None) -> dict:
        d = asdict(self)
        del d["path"]
        d["file"] = self.where(base)
        d["severity"] = self.severity.value
        return d


def locate(issues, folder: Path) -> list[Issue]:
    """``issues`` whose ``file`` is relative to ``folder``, with their absolute ``path`` filled in."""
    folder = Path(folder).resolve()
    return [i if i.path else replace(i, path=str(folder / i.file)) for i in issues]


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

    def to_json(self, base: Path | None = None) -> str:
        """The issues as JSON, each ``file`` relative to ``base`` (default: the current folder)."""
        return json.dumps([i.to_dict(base) for i in self.sorted()], ensure_ascii=False, indent=2)


def excerpt(text: str, width: int = 40, at: int | None = None) -> str:
    """``text`` on one line (line breaks shown as ⏎, other control characters as their symbols ␉ ␇ …), at most ``width`` characters around index ``at``
    (default: the start, or the end when only the end has stray whitespace), trimmed with “…”."""
    if at is None:
        at = len(text) if text != text.rstrip() and text == text.lstrip() else 0
    at = max(0, min(at, len(text)))
    if len(text) > width:
        start = max(0, min(at - width // 2, len(text) - width))
        end = start + width
        text = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
    text = _LINE_BREAK_RE.sub("⏎", text)
    return _CONTROL_RE.sub(lambda m: _visible(m.group(0)), text)  # a tab or control character, visible


def _visible(char: str) -> str:
    """A control character as something a terminal shows: its symbol (␉ ␇ ␡), or for the C1
    controls, which have none (and which a terminal may act on: NEL breaks the line), its code."""
    n = ord(char)
    return chr(0x2400 + n) if n < 0x20 else "\u2421" if n == 0x7F else f"[U+{n:04X}]"


_LINE_BREAK_RE = re.compile("\r\n|[\n\r\u2028\u2029]")
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # and the bidi controls (X08)

"""Importers: published tables (extracted text, .docx) → model objects, and writing them as content."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Project


class ImportProblem(Exception):
    """A source that does not have the shape of a published table; says where and why."""

    def __init__(self, source: str, line: int | None, message: str):
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {message}")
        self.source, self.line, self.message = source, line, message


@dataclass
class ImportedUnit:
    """One budget unit's projects as read from a source, in published order."""

    unit_code: str | None
    unit_name: str
    department_code: str | None
    department_name: str | None
    projects: list[Project] = field(default_factory=list)


@dataclass
class ImportedSource:
    """What one source file holds, plus what it reveals about its publication."""

    path: str
    layout: str  # "tianjin" | "shanghai"
    money_unit: str
    framework: str
    year: int | None
    region: str | None
    units: list[ImportedUnit] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)  # the visible table numbers, for the numbering guess

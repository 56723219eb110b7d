"""What pyproject.toml promises: every dependency bounded, and the tested versions inside the bounds."""
from __future__ import annotations

import tomllib
from importlib.metadata import version

from helpers import ROOT
from packaging.requirements import Requirement
from packaging.version import Version

# Libraries whose private parts ptgen uses: a new minor release may break them.
PRIVATE = {"typer", "python-docx", "docxtpl", "weasyprint", "cssselect2"}


def requirements() -> dict[str, Requirement]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {Requirement(r).name.lower(): Requirement(r) for r in data["project"]["dependencies"]}


def test_every_dependency_has_an_upper_bound_and_the_installed_version_fits():
    for name, req in requirements().items():
        assert any(s.operator == "<" for s in req.specifier), f"{name}: no upper bound"
        assert req.specifier.contains(version(name), prereleases=True), (name, version(name), str(req.specifier))


def test_libraries_used_privately_are_pinned_to_the_tested_minor_release():
    reqs = requirements()
    assert PRIVATE <= set(reqs), sorted(PRIVATE - set(reqs))
    for name in PRIVATE:
        installed = Version(version(name))
        upper = min(Version(s.version) for s in reqs[name].specifier if s.operator == "<")
        # no later minor release (for 0.x and python-docx) or major release (weasyprint's numbering) is allowed
        allowed = upper.release[:2] == (installed.major, installed.minor + 1) or upper.release == (installed.major + 1,)
        assert allowed, (name, str(installed), str(upper))


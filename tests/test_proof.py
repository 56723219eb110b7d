"""Found by proof-reading every page of every example publication (issue 12): what a finance office
would not print, each checked on what the renderers really produced."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from ptgen import api
from ptgen.build import build

from helpers import CONTENT


def load(root: Path):
    result = api.check(root)
    assert len(result.publications) == 1, result.report.issues
    return result.publications[0]


def built(name: str, tmp: Path, formats: list[str]) -> list[Path]:
    shutil.copytree(CONTENT / name, tmp / name)
    result = build(load(tmp / name), tmp / "out", formats)
    return [o.path for o in result.outputs]


def footers(pdf: Path) -> list[str]:
    """The last line of each page's text (pdftotext -layout): the page number, where there is one."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    out = []
    for page in text.split("\f")[:-1]:
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        out.append(lines[-1] if lines else "")
    return out


# --- the contents are page i, in the PDF as in the DOCX --------------------------------------------

def test_pdf_contents_are_numbered_from_i_as_in_the_docx(tmp_path):
    """The cover has no number and the contents start at i, as the DOCX numbers them (its contents
    section restarts at lowerRoman 1): the PDF printed ii on the first contents page and labelled
    the cover i, so the two formats cited the contents by different numbers."""
    pdfs = built("wuhan-qingshan-2020", tmp_path, ["pdf"])
    assert len(pdfs) == 2  # the department's and the whole book's
    for pdf in pdfs:
        feet = footers(pdf)
        assert "目录" in re.sub(r"\s+", "", subprocess.run(
            ["pdftotext", "-f", "2", "-l", "2", str(pdf), "-"], capture_output=True, text=True).stdout)
        assert feet[1] == "i", (pdf.name, feet)
        assert not re.fullmatch(r"[ivx]+", feet[0]), feet[0]  # the cover prints none
        labels = list(PdfReader(pdf).page_labels)
        assert labels[1] == "i" and labels[2] == "1-1", labels
        assert labels[0] not in ("i", "ii"), labels

"""Cell text → paragraphs of runs, the one shape every renderer (DOCX, HTML) draws.

Plain fields keep every line as its own paragraph, empty lines included, because that is how
the published cells are made (and how the importer reads them back).

Fields a publication opts in to (``markdown: [goals]`` in ptgen.yaml; none by default, so text is
printed exactly as written) use light Markdown — emphasis and lists — parsed by markdown-it-py
with everything else switched off: raw HTML stays text (so ``<p>`` pasted from a web system shows
as typed and ``ptgen check`` reports it), ``#``, ``>``, indented code, tables and links are plain
text.  A line break inside a Markdown paragraph becomes a new paragraph, as clerks mean it (and
markdown-it would otherwise turn it into a space between Chinese characters, its issue #334).
List items are numbered in the text ("1." "2."), not with Word numbering, so copying the text out
of the document keeps the numbers.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from markdown_it import MarkdownIt

# Characters XML 1.0 cannot hold; the renderers drop them (``ptgen check`` reports them as X08).
ILLEGAL_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# NamedTuples, not frozen dataclasses: a 1,000-table book makes ~400,000 of them, and a frozen
# dataclass costs several times more to create.
class Run(NamedTuple):
    text: str
    bold: bool = False
    italic: bool = False
    change: str | None = None  # "ins" / "del": a tracked change (ptgen diff --format docx)


class Paragraph(NamedTuple):
    runs: tuple[Run, ...] = ()

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


EMPTY = (Paragraph(),)


@lru_cache(maxsize=4096)  # labels and group names repeat in every table
def plain(text: str | None) -> tuple[Paragraph, ...]:
    """One paragraph per line, exactly as written."""
    if not text:
        return EMPTY
    if "\n" not in text:
        return (Paragraph((Run(text),)),)
    return tuple(Paragraph((Run(line),) if line else ()) for line in text.split("\n"))


# Markdown syntax only matters where one of these can start it; other text skips the parser.
_MARKDOWN_HINT = re.compile(r"[*_\\]|^\s{0,3}(\d{1,9}[.)]|[-+*])[ \t]", re.M)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable(["code", "fence", "blockquote", "hr", "heading", "lheading", "html_block", "reference",
                "table", "backticks", "link", "image", "autolink", "html_inline", "entity"], ignoreInvalid=True)
    return md


def markdown(text: str | None) -> tuple[Paragraph, ...]:
    """Light Markdown (emphasis, numbered and bulleted lists) → paragraphs of runs."""
    if text is None or text == "":
        return (Paragraph(),)
    if not _MARKDOWN_HINT.search(text):
        return plain(text)
    tokens = _parser().parse(text)
    paragraphs: list[Paragraph] = []
    counters: list[int | None] = []  # one per open list: the next number, or None for bullets
    prefix = ""
    for tok in tokens:
        if tok.type == "ordered_list_open":
            counters.append(int(tok.attrGet("start") or 1))
        elif tok.type == "bullet_list_open":
            counters.append(None)
        elif tok.type in ("ordered_list_close", "bullet_list_close"):
            counters.pop()
        elif tok.type == "list_item_open":
            n = counters[-1]
            if n is None:
                prefix = "• "
            else:
                prefix = f"{n}{tok.markup or '.'}"
                counters[-1] = n + 1
        elif tok.type == "inline":
            for para in _inline(tok.children or []):
                paragraphs.append(Paragraph(_merge([Run(prefix)] + list(para)) if prefix else para))
                prefix = ""
    return tuple(paragraphs) or (Paragraph(),)


def _inline(children) -> list[tuple[Run, ...]]:
    lines: list[list[Run]] = [[]]
    bold = italic = False
    for child in children:
        t = child.type
        if t == "text" and child.content:
            lines[-1].append(Run(child.content, bold, italic))
        elif t in ("softbreak", "hardbreak"):
            lines.append([])
        elif t == "strong_open":
            bold = True
        elif t == "strong_close":
            bold = False
        elif t == "em_open":
            italic = True
        elif t == "em_close":
            italic = False
        elif child.content:  # anything else the parser may still emit is shown as typed
            lines[-1].append(Run(child.content, bold, italic))
    return [_merge(line) for line in lines]


def _merge(runs: list[Run]) -> tuple[Run, ...]:
    """Join neighbouring runs with the same formatting (markdown-it splits text at every '*')."""
    out: list[Run] = []
    for r in runs:
        if out and (out[-1].bold, out[-1].italic) == (r.bold, r.italic):
            out[-1] = Run(out[-1].text + r.text, r.bold, r.italic)
        else:
            out.append(r)
    return tuple(out)

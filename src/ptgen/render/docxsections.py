"""The DOCX's sections: the page numbers the PDF prints, so both formats cite the same pages.

The PDF numbers the cover not at all, the contents i, ii, … and each department's pages in a
section of their own, "353-1", "353-2", … (the department's code, else its position; see
``html.section_label``).  The Word document does the same with sections:

- the cover (everything before the template's ``TOCHeading`` paragraph): no footer;
- the contents: the template's footer, page numbers ``lowerRoman`` from 1;
- each department: a copy of the template's footer with the department's code before the PAGE
  field, page numbers from 1.

Every section copies the template's last ``w:sectPr`` (page size, margins, header), so a
publication's own template keeps its page set-up.  A template whose footer has no PAGE field gets
its footer copied unchanged.
"""
from __future__ import annotations

import copy
import re

from .layout import Compilation, Heading

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
RT_FOOTER = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer"
CT_FOOTER = "application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"
# What may follow w:pgNumType in a sectPr (CT_SectPr's sequence): it goes before the first of them.
AFTER_PGNUM = ("cols", "formProt", "vAlign", "noEndnote", "titlePg", "textDirection", "bidi", "rtlGutter", "docGrid",
               "printerSettings", "sectPrChange")
# The paragraph that ends a section: as small as Word allows, so that it never makes a page of its own.
BREAK_PPR = '<w:spacing w:before="0" w:after="0" w:line="20" w:lineRule="exact"/><w:rPr><w:sz w:val="2"/><w:szCs w:val="2"/></w:rPr>'


def labels(comp: Compilation) -> list[str]:
    """The section label of each department (level-1 heading) of ``comp``, as the PDF prints it."""
    from .html import section_label
    heads = [b for b in comp.blocks if isinstance(b, Heading) and b.level == 1]
    return [section_label(h, k) for k, h in enumerate(heads)]


def _q(tag: str) -> str:
    return f"{{{W}}}{tag}"


class Sections:
    """The sections of one document being rendered (python-docx ``doc``), one per label after the
    cover and the contents; ``labels`` None: the body is one section numbered 1, 2, …"""

    def __init__(self, doc, labels: list[str] | None):
        from lxml import etree
        self.doc = doc
        # The template's last section (docxtpl replaces the body when it renders: only copies are kept).
        self.proto = doc.element.body.find(_q("sectPr"))
        if self.proto is None:
            self.proto = etree.Element(_q("sectPr"))
        ref = next((f for f in self.proto.findall(_q("footerReference")) if f.get(_q("type")) == "default"), None)
        self.footer = doc.part.related_parts[ref.get(f"{{{R}}}id")] if ref is not None else None
        self.labels = labels if labels else [None]
        self.footers = [self._footer(label) for label in self.labels]

    def _footer(self, label: str | None) -> str | None:
        """The relationship id of the footer for a section labelled ``label`` (the template's own
        footer without a label)."""
        if self.footer is None:
            return None
        if label is None:
            return next(rid for rid, p in self.doc.part.related_parts.items() if p is self.footer)
        from docx.opc.constants import RELATIONSHIP_TYPE as RT
        from docx.oxml import parse_xml
        from docx.parts.hdrftr import FooterPart
        element = parse_xml(self.footer.blob)
        page = _page_field(element)
        if page is not None:
            run = parse_xml(f'<w:r xmlns:w="{W}"><w:t xml:space="preserve"></w:t></w:r>')
            run[0].text = f"{label}-"
            rpr = _run_properties(page)
            if rpr is not None:
                run.insert(0, copy.deepcopy(rpr))
            page.addprevious(run)
        package = self.doc.part.package
        part = FooterPart(package.next_partname("/word/footer%d.xml"), CT_FOOTER, element, package)
        return self.doc.part.relate_to(part, RT.FOOTER)

    def sect_pr(self, footer: str | None, fmt: str | None, start: int | None):
        """A copy of the template's section properties with this footer (None: no footer) and numbering."""
        from lxml import etree
        sect = copy.deepcopy(self.proto)
        for ref in sect.findall(_q("footerReference")):
            if ref.get(_q("type")) == "default":
                sect.remove(ref)
        if footer is not None:
            ref = etree.Element(_q("footerReference"))
            ref.set(_q("type"), "default")
            ref.set(f"{{{R}}}id", footer)
            headers = sect.findall(_q("headerReference")) + sect.findall(_q("footerReference"))
            if headers:
                headers[-1].addnext(ref)
            else:
                sect.insert(0, ref)
        for old in sect.findall(_q("pgNumType")):
            sect.remove(old)
        if fmt is not None:
            num = etree.Element(_q("pgNumType"))
            num.set(_q("fmt"), fmt)
            num.set(_q("start"), str(start))
            later = [e for e in sect if etree.QName(e).localname in AFTER_PGNUM]
            if later:
                later[0].addprevious(num)
            else:
                sect.append(num)
        return sect

    def _break(self, sect) -> str:
        from lxml import etree
        return f'<w:p xmlns:w="{W}"><w:pPr>{BREAK_PPR}{etree.tostring(sect, encoding="unicode")}</w:pPr></w:p>'

    def department_break(self, k: int) -> str:
        """The paragraph ending the section of department ``k`` (before department ``k + 1``'s heading)."""
        return _strip_ns(self._break(self.sect_pr(self.footers[k], "decimal", 1)))

    def finish(self, before_body) -> None:
        """Close the cover (before the first ``TOCHeading`` paragraph, if the template has one) and the
        contents (before ``before_body``, the paragraph the body replaces); the template's own last
        section becomes the last department's."""
        from docx.oxml import parse_xml
        body = self.doc.element.body
        toc_head = next((p for p in body.iter(_q("p")) if (s := p.find(f"{_q('pPr')}/{_q('pStyle')}")) is not None
                         and s.get(_q("val")) == "TOCHeading"), None)
        if toc_head is not None:
            toc_head.addprevious(parse_xml(self._break(self.sect_pr(None, None, None))))
        front = self._footer(None)
        before_body.addprevious(parse_xml(self._break(self.sect_pr(front, "lowerRoman", 1))))
        last = self.sect_pr(self.footers[-1], "decimal", 1)
        old = body.find(_q("sectPr"))
        if old is not None:
            old.getparent().replace(old, last)
        else:
            body.append(last)


def _page_field(footer):
    """The element to put a label before: the PAGE ``fldSimple``, or the run beginning a PAGE field."""
    for el in footer.iter(_q("fldSimple")):
        if re.match(r"\s*PAGE\b", el.get(_q("instr"), "")):
            return el
    begin = None
    for el in footer.iter(_q("fldChar"), _q("instrText")):
        if el.tag == _q("fldChar") and el.get(_q("fldCharType")) == "begin":
            begin = el.getparent()
        elif el.tag == _q("instrText") and begin is not None and re.match(r"\s*PAGE\b", el.text or ""):
            return begin
    return None


def _run_properties(el):
    """The run properties of the page number (so that the label looks the same)."""
    r = el if el.tag == _q("r") else el.find(_q("r"))
    return None if r is None else r.find(_q("rPr"))


def _strip_ns(xml: str) -> str:
    """``xml`` without the namespace declarations lxml adds (the body is spliced into a document that has them)."""
    return re.sub(r' xmlns:\w+="[^"]*"', "", xml)

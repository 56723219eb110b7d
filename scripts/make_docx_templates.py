"""Write the shipped Word templates, templates/docx/{tianjin,shanghai,standard}.docx, from scratch.

The templates are ordinary .docx files: open one in Word or WPS, change the styles (fonts, sizes,
borders, spacing), the page size or the margins, save it into your publication's template folder,
and ptgen uses it.  This script only exists so that the shipped ones are small, clean and
reviewable (python-docx's default template would bring MS Mincho and blue theme headings).

    .venv/bin/python scripts/make_docx_templates.py
"""
from __future__ import annotations

import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

# A4, margins 2.54 cm top/bottom, 2.2 cm left/right (twips); ptgen sizes tables to the text width.
PAGE = dict(w=11906, h=16838, top=1440, bottom=1440, left=1247, right=1247)
TEXT_WIDTH = PAGE["w"] - PAGE["left"] - PAGE["right"]


def fonts(east: str, ascii_: str = "Times New Roman") -> str:
    return f'<w:rFonts w:ascii="{ascii_}" w:hAnsi="{ascii_}" w:eastAsia="{east}" w:cs="{ascii_}"/>'


def pstyle(sid, name, *, based="Normal", ppr="", rpr="", next_=None, outline=None, extra=""):
    out = f'<w:style w:type="paragraph" w:styleId="{sid}"><w:name w:val="{name}"/>'
    if based:
        out += f'<w:basedOn w:val="{based}"/>'
    if next_:
        out += f'<w:next w:val="{next_}"/>'
    out += extra
    if outline is not None:
        ppr += f'<w:outlineLvl w:val="{outline}"/>'
    return out + f"<w:qFormat/><w:pPr>{ppr}</w:pPr><w:rPr>{rpr}</w:rPr></w:style>"


def styles(cell_size: int) -> str:
    half = int(cell_size * 2)
    tab = f'<w:tabs><w:tab w:val="right" w:leader="dot" w:pos="{TEXT_WIDTH}"/></w:tabs>'
    border = "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                     for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    cell_p = '<w:spacing w:before="20" w:after="20" w:line="260" w:lineRule="auto"/>'
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="{W}">
<w:docDefaults>
<w:rPrDefault><w:rPr>{fonts("宋体")}<w:sz w:val="21"/><w:szCs w:val="21"/><w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>
<w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr></w:pPrDefault>
</w:docDefaults>
<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/><w:pPr><w:widowControl w:val="0"/><w:jc w:val="both"/></w:pPr><w:rPr>{fonts("宋体")}<w:kern w:val="2"/><w:sz w:val="21"/><w:szCs w:val="21"/></w:rPr></w:style>
<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont"><w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/></w:style>
<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:semiHidden/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>
<w:style w:type="numbering" w:default="1" w:styleId="NoList"><w:name w:val="No List"/><w:semiHidden/></w:style>
{pstyle("Title", "Title", ppr='<w:spacing w:before="4152" w:after="600"/><w:jc w:val="center"/>', rpr=fonts("宋体") + '<w:b/><w:bCs/><w:sz w:val="44"/><w:szCs w:val="44"/>')}
{pstyle("Subtitle", "Subtitle", ppr='<w:spacing w:after="400"/><w:jc w:val="center"/>', rpr=fonts("宋体") + '<w:sz w:val="32"/><w:szCs w:val="32"/>')}
{pstyle("PTIssuer", "PT Cover Issuer", ppr='<w:spacing w:before="3470" w:after="120"/><w:jc w:val="center"/>', rpr='<w:sz w:val="32"/><w:szCs w:val="32"/>')}
{pstyle("PTDate", "PT Cover Date", ppr='<w:spacing w:after="120"/><w:jc w:val="center"/>', rpr='<w:sz w:val="32"/><w:szCs w:val="32"/>')}
{pstyle("TOCHeading", "TOC Heading", ppr='<w:pageBreakBefore/><w:spacing w:after="300"/><w:jc w:val="center"/>', rpr=fonts("黑体") + '<w:sz w:val="32"/><w:szCs w:val="32"/>')}
{pstyle("Heading1", "heading 1", next_="Normal", outline=0, ppr='<w:keepNext/><w:spacing w:before="240" w:after="240"/><w:jc w:val="center"/>', rpr=fonts("黑体") + '<w:sz w:val="36"/><w:szCs w:val="36"/>')}
{pstyle("Heading2", "heading 2", next_="Normal", outline=1, ppr='<w:keepNext/><w:spacing w:before="240" w:after="240"/><w:jc w:val="center"/>', rpr=fonts("黑体") + '<w:sz w:val="30"/><w:szCs w:val="30"/>')}
{pstyle("Heading3", "heading 3", next_="Normal", outline=2, ppr='<w:keepNext/><w:spacing w:before="120" w:after="200"/><w:jc w:val="center"/>', rpr=fonts("宋体") + '<w:b/><w:bCs/><w:sz w:val="28"/><w:szCs w:val="28"/>')}
{pstyle("TOC1", "toc 1", next_="Normal", ppr=tab + '<w:spacing w:before="120" w:after="60"/>', rpr='<w:b/>', extra='<w:uiPriority w:val="39"/>')}
{pstyle("TOC2", "toc 2", next_="Normal", ppr=tab + '<w:spacing w:after="60"/><w:ind w:left="420"/>', extra='<w:uiPriority w:val="39"/>')}
{pstyle("TOC3", "toc 3", next_="Normal", ppr=tab + '<w:spacing w:after="40"/><w:ind w:left="840"/>', extra='<w:uiPriority w:val="39"/>')}
{pstyle("PTCell", "PT Cell", ppr=cell_p + '<w:jc w:val="left"/>', rpr=f'<w:sz w:val="{half}"/><w:szCs w:val="{half}"/>')}
{pstyle("PTCellCenter", "PT Cell Center", based="PTCell", ppr='<w:jc w:val="center"/>')}
{pstyle("PTCellHead", "PT Cell Head", based="PTCell", ppr='<w:jc w:val="center"/>', rpr='<w:b/><w:bCs/>')}
{pstyle("PTAgency", "PT Agency", based="PTCell", ppr='<w:jc w:val="left"/>')}
{pstyle("PTMoneyUnit", "PT Money Unit", based="PTCell", ppr='<w:jc w:val="right"/>')}
{pstyle("PTFormTitle", "PT Form Title", based="PTCell", ppr='<w:jc w:val="center"/>', rpr=fonts("黑体") + '<w:sz w:val="32"/><w:szCs w:val="32"/>')}
{pstyle("PTFormYear", "PT Form Year", based="PTCell", ppr='<w:jc w:val="center"/>')}
{pstyle("PTSpacer", "PT Spacer", ppr='<w:keepNext/>', rpr='<w:sz w:val="12"/><w:szCs w:val="12"/>')}
{pstyle("Footer", "footer", ppr='<w:jc w:val="center"/>', rpr='<w:sz w:val="18"/><w:szCs w:val="18"/>')}
<w:style w:type="table" w:styleId="PTTable"><w:name w:val="PT Table"/><w:basedOn w:val="TableNormal"/><w:qFormat/><w:tblPr><w:tblBorders>{border}</w:tblBorders><w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="85" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>
<w:style w:type="character" w:styleId="Hyperlink"><w:name w:val="Hyperlink"/><w:basedOn w:val="DefaultParagraphFont"/><w:uiPriority w:val="99"/><w:rPr><w:color w:val="000000"/></w:rPr></w:style>
</w:styles>"""


def document() -> str:
    def p(style, text, extra=""):
        return f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{extra}</w:pPr><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="{W}" xmlns:r="{R}"><w:body>
{p("Title", "{{ cover_title|default(title) }}")}
{p("Subtitle", "{{ subtitle }}")}
{p("PTIssuer", "{{ issuer }}")}
{p("PTDate", "{{ date }}")}
{p("TOCHeading", "目　录")}
<w:p><w:r><w:t>{{{{p toc }}}}</w:t></w:r></w:p>
<w:p><w:r><w:t>{{{{p body }}}}</w:t></w:r></w:p>
<w:sectPr><w:footerReference w:type="default" r:id="rIdFooter1"/><w:pgSz w:w="{PAGE['w']}" w:h="{PAGE['h']}"/><w:pgMar w:top="{PAGE['top']}" w:right="{PAGE['right']}" w:bottom="{PAGE['bottom']}" w:left="{PAGE['left']}" w:header="851" w:footer="851" w:gutter="0"/><w:cols w:space="425"/><w:docGrid w:type="lines" w:linePitch="312"/></w:sectPr>
</w:body></w:document>"""


FOOTER = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:ftr xmlns:w="{W}" xmlns:r="{R}"><w:p><w:pPr><w:pStyle w:val="Footer"/></w:pPr><w:fldSimple w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple></w:p></w:ftr>"""
# The page number alone: ptgen gives each department's section a copy of this footer with the
# department's code before the number ("353-5", as the PDF), the contents i, ii, … and the cover none.

SETTINGS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:settings xmlns:w="{W}"><w:defaultTabStop w:val="420"/><w:characterSpacingControl w:val="compressPunctuation"/><w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat></w:settings>"""

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/><Override PartName="/word/footer1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>"""

RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>"""

DOC_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rIdSettings" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/><Relationship Id="rIdFooter1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer1.xml"/></Relationships>"""

CORE = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>ptgen template</dc:title><dc:creator>ptgen</dc:creator><dc:language>zh-CN</dc:language><dcterms:created xsi:type="dcterms:W3CDTF">2000-01-01T00:00:00Z</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">2000-01-01T00:00:00Z</dcterms:modified></cp:coreProperties>"""


def font_parts(parts: dict[str, str]) -> dict[str, str]:
    """``parts`` with the font table and the theme (the fonts the document declares: 宋体, 黑体),
    related from the document and with their content types."""
    sys.path.insert(0, str(ROOT / "src"))  # the ptgen of this checkout, installed or not
    from ptgen.render import docxfonts as f
    parts = dict(parts)
    parts["word/fontTable.xml"] = f.font_table()
    parts["word/theme/theme1.xml"] = f.theme()
    parts["word/_rels/document.xml.rels"] = parts["word/_rels/document.xml.rels"].replace(
        "</Relationships>", f'<Relationship Id="rIdFontTable" Type="{f.RT_FONT_TABLE}" Target="fontTable.xml"/>'
                            f'<Relationship Id="rIdTheme" Type="{f.RT_THEME}" Target="theme/theme1.xml"/></Relationships>')
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        "</Types>", f'<Override PartName="/word/fontTable.xml" ContentType="{f.CT_FONT_TABLE}"/>'
                    f'<Override PartName="/word/theme/theme1.xml" ContentType="{f.CT_THEME}"/></Types>')
    return parts


# The PDF's page (templates/html/print.css), so that the DOCX breaks its pages where the PDF does
# and both cite the same page numbers: A4, margins 22 mm top, 18 mm sides, 20 mm bottom; lines
# 1.35 times the font size, cells padded 1.5 pt / 3 pt; headings sized and spaced as the PDF's.
PDF_MARGINS = dict(top=1247, right=1020, bottom=1134, left=1020)  # twips
PDF_LINE = 1.35
# style → (font size in pt, space before, space after in pt); the spacer is 8 pt high
PDF_SPACING = {"Heading1": (18, 0, 12), "Heading2": (15, 12, 12), "Heading3": (14, 5.6, 11.2), "PTSpacer": (8 / PDF_LINE, 0, 0)}


def pdf_metrics(parts: dict[str, str], cell_size: float) -> dict[str, str]:
    """``parts`` with the page, line heights and spacing of the PDF (see ``PDF_MARGINS``)."""
    import re

    from lxml import etree
    parts = dict(parts)
    doc = parts["word/document.xml"]
    for side, twips in PDF_MARGINS.items():
        doc, n = re.subn(rf'(<w:pgMar [^>]*w:{side}=")\d+"', rf'\g<1>{twips}"', doc)
        assert n == 1, side
    # No document grid: it would snap every line to 15.6 pt (the PDF's are 1.35 × the font size).
    doc, n = re.subn(r'<w:docGrid [^>]*/>', '<w:docGrid w:linePitch="312"/>', doc)
    assert n == 1
    parts["word/document.xml"] = doc
    w = f"{{{W}}}"
    root = etree.fromstring(parts["word/styles.xml"].encode("utf-8"))
    styles = {s.get(w + "styleId"): s for s in root.iter(w + "style")}

    def spacing(sid: str, size: float, before: float, after: float) -> None:
        ppr = styles[sid].find(w + "pPr")
        sp = ppr.find(w + "spacing")
        if sp is None:
            sp = etree.Element(w + "spacing")
            later = [e for e in ppr if etree.QName(e).localname in ("ind", "contextualSpacing", "jc", "outlineLvl")]
            (later[0].addprevious if later else ppr.append)(sp)
        sp.attrib.clear()
        sp.set(w + "before", str(round(before * 20)))
        sp.set(w + "after", str(round(after * 20)))
        sp.set(w + "line", str(round(size * PDF_LINE * 20)))
        sp.set(w + "lineRule", "exact")

    spacing("PTCell", cell_size, 1.5, 1.5)
    for sid, (size, before, after) in PDF_SPACING.items():
        spacing(sid, size, before, after)
    table = styles["PTTable"].find(f"{w}tblPr/{w}tblCellMar")
    for side in ("left", "right"):
        table.find(w + side).set(w + "w", "60")  # 3 pt
    parts["word/styles.xml"] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True).decode()
    return parts


def write(path: Path, cell_size: float) -> None:
    parts = {
        "[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": RELS, "docProps/core.xml": CORE,
        "word/document.xml": document(), "word/_rels/document.xml.rels": DOC_RELS,
        "word/styles.xml": styles(cell_size), "word/settings.xml": SETTINGS, "word/footer1.xml": FOOTER,
    }
    parts = font_parts(parts)
    parts = pdf_metrics(parts, cell_size)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text.encode("utf-8"))


if __name__ == "__main__":
    out = ROOT / "templates" / "docx"
    write(out / "tianjin.docx", 10.5)   # 五号, as the published Tianjin tables
    write(out / "shanghai.docx", 9)     # 小五: the ten-field form is dense
    write(out / "standard.docx", 10.5)  # 五号: a layout definition that names no template of its own
    print(f"wrote {out}/tianjin.docx, shanghai.docx and standard.docx", file=sys.stderr)

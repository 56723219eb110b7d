"""The fonts a ptgen .docx declares: its font table (``word/fontTable.xml``) and theme (``word/theme/theme1.xml``).

Word and WPS choose a substitute for a font a machine lacks from the font table's entry (its
Latin name, charset, family, pitch and PANOSE): without one, 宋体 may come out in any font.  The
theme names the East Asian fonts of the theme font slots (宋体).  An OOXML validator
(``openxml-audit``) requires both parts of every WordprocessingML document.

The shipped templates carry both (``scripts/make_docx_templates.py`` writes them from here);
:func:`ensure` adds them to a document made from a template that has none (a hand-made one).
"""
from __future__ import annotations

RT_FONT_TABLE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable"
RT_THEME = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme"
CT_FONT_TABLE = "application/vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml"
CT_THEME = "application/vnd.openxmlformats-officedocument.theme+xml"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"

# (name, Latin name, PANOSE, charset, family, pitch, signature usb0..3 csb0..1), as Word writes them.
# Charset 86 is GB2312 (simplified Chinese), 00 ANSI.
FONTS = (
    ("宋体", "SimSun", "02010600030101010101", "86", "auto", "variable",
     ("00000003", "288F0000", "00000016", "00000000", "00040001", "00000000")),
    ("黑体", "SimHei", "02010609060101010101", "86", "modern", "fixed",
     ("800002BF", "38CF7CFA", "00000016", "00000000", "00040001", "00000000")),
    ("Times New Roman", None, "02020603050405020304", "00", "roman", "variable",
     ("E0002EFF", "C000785B", "00000009", "00000000", "000001FF", "00000000")),
)


def font_table() -> str:
    entries = []
    for name, alt, panose, charset, family, pitch, sig in FONTS:
        u0, u1, u2, u3, c0, c1 = sig
        entries.append(f'<w:font w:name="{name}">' + (f'<w:altName w:val="{alt}"/>' if alt else "")
                       + f'<w:panose1 w:val="{panose}"/><w:charset w:val="{charset}"/><w:family w:val="{family}"/>'
                       f'<w:pitch w:val="{pitch}"/><w:sig w:usb0="{u0}" w:usb1="{u1}" w:usb2="{u2}" w:usb3="{u3}" '
                       f'w:csb0="{c0}" w:csb1="{c1}"/></w:font>')
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<w:fonts xmlns:w="{W}">{"".join(entries)}</w:fonts>')


def _font_collection(tag: str, latin: str) -> str:
    return (f'<a:{tag}><a:latin typeface="{latin}"/><a:ea typeface="宋体"/><a:cs typeface="Times New Roman"/>'
            f'<a:font script="Hans" typeface="宋体"/></a:{tag}>')


def theme() -> str:
    """A small theme: Office colours, 宋体 as the East Asian font of both theme fonts (major and minor)."""
    colours = (("dk1", '<a:sysClr val="windowText" lastClr="000000"/>'), ("lt1", '<a:sysClr val="window" lastClr="FFFFFF"/>'),
               ("dk2", '<a:srgbClr val="44546A"/>'), ("lt2", '<a:srgbClr val="E7E6E6"/>'),
               ("accent1", '<a:srgbClr val="4472C4"/>'), ("accent2", '<a:srgbClr val="ED7D31"/>'),
               ("accent3", '<a:srgbClr val="A5A5A5"/>'), ("accent4", '<a:srgbClr val="FFC000"/>'),
               ("accent5", '<a:srgbClr val="5B9BD5"/>'), ("accent6", '<a:srgbClr val="70AD47"/>'),
               ("hlink", '<a:srgbClr val="0563C1"/>'), ("folHlink", '<a:srgbClr val="954F72"/>'))
    scheme = "".join(f"<a:{k}>{v}</a:{k}>" for k, v in colours)
    fill = '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill>'
    line = '<a:ln w="6350" cap="flat" cmpd="sng" algn="ctr"><a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:prstDash val="solid"/><a:miter lim="800000"/></a:ln>'
    effect = "<a:effectStyle><a:effectLst/></a:effectStyle>"
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<a:theme xmlns:a="{A}" name="ptgen"><a:themeElements>'
            f'<a:clrScheme name="Office">{scheme}</a:clrScheme>'
            f'<a:fontScheme name="ptgen">{_font_collection("majorFont", "Times New Roman")}'
            f'{_font_collection("minorFont", "Times New Roman")}</a:fontScheme>'
            f'<a:fmtScheme name="Office"><a:fillStyleLst>{fill * 3}</a:fillStyleLst><a:lnStyleLst>{line * 3}</a:lnStyleLst>'
            f'<a:effectStyleLst>{effect * 3}</a:effectStyleLst><a:bgFillStyleLst>{fill * 3}</a:bgFillStyleLst></a:fmtScheme>'
            '</a:themeElements><a:objectDefaults/><a:extraClrSchemeLst/></a:theme>')


def ensure(doc) -> None:
    """Give the python-docx document ``doc`` a font table and a theme where its template has none."""
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    part = doc.part
    have = {rel.reltype for rel in part.rels.values()}
    for reltype, name, content_type, make in ((RT_FONT_TABLE, "/word/fontTable.xml", CT_FONT_TABLE, font_table),
                                              (RT_THEME, "/word/theme/theme1.xml", CT_THEME, theme)):
        if reltype not in have:
            part.relate_to(Part(PackURI(name), content_type, make().encode("utf-8"), part.package), reltype)

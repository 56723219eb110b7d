"""Read published tables of the Tianjin layout from a .docx file.

Walks the body in order: a paragraph that carries a ``w:bookmarkStart`` and reads
``N.…绩效目标表`` starts a table; the cells of the following table(s) (each ``w:tc`` once,
so a horizontally merged cell counts once, a vertically merged continuation reads as empty)
are its cells.
"""
from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

from lxml import etree

from ..output import describe_os_error
from . import ImportedSource, ImportProblem
from .text import HEADING_RE
from .tianjin import Cell, Table, collect

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
DOCUMENT = "word/document.xml"
# Limits, checked on the zip directory before anything is inflated (a real publication's
# document.xml is a few MB and compresses 5–20 times).
MAX_XML_BYTES = 64 * 1024 * 1024    # word/document.xml, uncompressed
MAX_TOTAL_BYTES = 512 * 1024 * 1024  # all members, uncompressed, as the directory declares them
MAX_RATIO = 100                      # uncompressed / compressed, for members over RATIO_FROM
RATIO_FROM = 1024 * 1024
MAX_MEMBERS = 10000
CHUNK = 1024 * 1024
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")


def _para_text(p) -> str:
    parts = []
    for node in p.iter(f"{{{W}}}t", f"{{{W}}}tab", f"{{{W}}}br", f"{{{W}}}cr"):
        if node.tag == f"{{{W}}}t":
            parts.append(node.text or "")
        elif node.tag == f"{{{W}}}tab":
            parts.append("\t")
        else:
            parts.append("\n")
    return "".join(parts)


def _cell_text(tc) -> str:
    vmerge = tc.find("w:tcPr/w:vMerge", NS)
    if vmerge is not None and vmerge.get(f"{{{W}}}val", "continue") == "continue":
        return ""
    return "\n".join(_para_text(p) for p in tc.findall("w:p", NS))


def _is_toc_entry(p) -> bool:
    """A line of a table of contents (it repeats every title): a TOC style, or a PAGEREF field."""
    style = p.find("w:pPr/w:pStyle", NS)
    if style is not None and style.get(f"{{{W}}}val", "").lower().startswith("toc"):
        return True
    return any("PAGEREF" in (i.text or "") or (i.text or "").strip().startswith("TOC ")
               for i in p.iter(f"{{{W}}}instrText"))


def _document_xml(path: Path) -> bytes:
    """``word/document.xml``, read only after the zip directory shows it is sane (see the limits),
    and in bounded chunks, so a zip bomb or a lying size header cannot inflate past the cap."""
    source = str(path)
    try:
        z = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ImportProblem(source, None, "不是 zip 压缩包，所以不是有效的 Word (.docx) 文件。") from None
    except OSError as exc:
        raise ImportProblem(source, None, f"无法读取：{describe_os_error(exc)}") from None
    with z:
        _check_directory(z.infolist(), source)
        try:
            info = z.getinfo(DOCUMENT)
        except KeyError:
            raise ImportProblem(source, None, f"缺少 {DOCUMENT}：这个 zip 文件不是 Word (.docx) 文档。") from None
        if info.file_size > MAX_XML_BYTES:
            raise ImportProblem(source, None, f"{DOCUMENT} 解压后有 {_mb(info.file_size)}，超过上限 "
                                f"{_mb(MAX_XML_BYTES)}：可能是“压缩炸弹”，已拒绝。")
        chunks, size = [], 0
        try:
            with z.open(info) as f:
                while chunk := f.read(CHUNK):
                    size += len(chunk)
                    if size > MAX_XML_BYTES:
                        raise ImportProblem(source, None, f"{DOCUMENT} 解压后超过上限 {_mb(MAX_XML_BYTES)}"
                                            "（压缩包里记录的大小不实）：可能是“压缩炸弹”，已拒绝。")
                    chunks.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError):
            raise ImportProblem(source, None, f"Word 文件已损坏或已加密（{DOCUMENT} 无法解压）。") from None
    return b"".join(chunks)


def _check_directory(infos: list[zipfile.ZipInfo], source: str) -> None:
    """The limits, from the sizes the zip directory declares (nothing inflated yet)."""
    if len(infos) > MAX_MEMBERS:
        raise ImportProblem(source, None, f"压缩包里有 {len(infos)} 个文件，超过上限 {MAX_MEMBERS}：不像 Word 文档，已拒绝。")
    for i in infos:
        ratio = i.file_size / max(i.compress_size, 1)
        if i.file_size > RATIO_FROM and ratio > MAX_RATIO:
            raise ImportProblem(source, None, f"{i.filename} 压缩了 {ratio:.0f} 倍（{_mb(i.compress_size)} 解压成 "
                                f"{_mb(i.file_size)}），超过上限 {MAX_RATIO} 倍：可能是“压缩炸弹”，已拒绝。")
    total = sum(i.file_size for i in infos)
    if total > MAX_TOTAL_BYTES:
        raise ImportProblem(source, None, f"解压后共 {_mb(total)}，超过上限 {_mb(MAX_TOTAL_BYTES)}：可能是“压缩炸弹”，已拒绝。")


def _mb(n: int) -> str:
    return f"{n / 1048576:.1f} MB" if n >= 1048576 else f"{n / 1024:.0f} KB"


def read_docx(path: Path) -> ImportedSource:
    source = str(path)
    xml = _document_xml(path)
    # No DTD, no entities, no network: Word never writes a DOCTYPE, and one is how XML bombs work.
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False, dtd_validation=False)
    dtd = ImportProblem(source, None, f"{DOCUMENT} 含有 DTD（DOCTYPE、实体声明）：Word 从不写这种内容，"
                        "为安全起见拒绝导入。请在 Word 里另存为 .docx 后再导入。")
    first = _FIRST_ELEMENT.search(xml)
    if b"<!DOCTYPE" in xml[:first.start() if first else len(xml)]:
        raise dtd
    try:
        tree = etree.fromstring(xml, parser=parser).getroottree()
    except etree.XMLSyntaxError:
        raise ImportProblem(source, None, f"Word 文件内容已损坏（{DOCUMENT} 无法解析）。") from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise dtd
    body = tree.getroot().find("w:body", NS)
    if body is None:
        raise ImportProblem(source, None, f"{DOCUMENT} 里没有正文（w:body）：不是 Word 文档。")
    tables: list[Table] = []
    current: Table | None = None
    texts: list[str] = []
    for index, el in enumerate(body, 1):
        if el.tag == f"{{{W}}}p":
            text = _para_text(el)
            marks = [b.get(f"{{{W}}}name") for b in el.iter(f"{{{W}}}bookmarkStart")]
            if HEADING_RE.match(text) and not _is_toc_entry(el):
                current = Table(title=text.strip(), bookmarks=marks, cells=[], line=index)
                tables.append(current)
        elif el.tag == f"{{{W}}}tbl" and current is not None:
            for tr in el.findall("w:tr", NS):
                for tc in tr.findall("w:tc", NS):
                    text = _cell_text(tc)
                    texts.append(text)
                    current.cells.append(Cell(text, index))
    return collect(tables, source, texts)

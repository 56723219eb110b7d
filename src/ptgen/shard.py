"""A build across machines: ``ptgen build --shard K/N`` makes part K of N, ``ptgen assemble`` joins
the parts into the publication, byte for byte what one ``ptgen build`` makes.

The departments of every publication are shared out by table count (the biggest first, each to the
part with the fewest tables so far; ties to the lower part number), so the plan depends only on
the content and N, and every part computes the same one.  A part folder holds::

    ptgen-part.json               which part (K of N), ptgen's version, the formats and options,
                                  the content's hash, the departments it holds, every file's SHA-256
    ptgen-content.zip             the content it was built from (every part carries all of it)
    docx|html|pdf/<publication>/<department>.*   the departments' files, as a whole build makes them
    pdf-parts/<publication>/<department>.pdf     each department's PDF document (with its .json:
                                  pages and anchors), from which the whole book is joined

``assemble`` checks that the parts fit together (each part once, all of the same content,
formats and ptgen), takes the departments' files as they are, and makes the whole book (DOCX,
HTML, and the PDF joined from the departments' documents, with its cover, contents page numbers,
outline and named destinations) and the web index from the content the parts carry.
"""
from __future__ import annotations

import io
import json
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError, UserError
from .model import Publication
from .output import Data, data_digest

PART_FILE = "ptgen-part.json"
CONTENT_FILE = "ptgen-content.zip"
DOCUMENTS = "pdf-parts"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FORMAT = 1


def parse(text: str) -> tuple[int, int]:
    """``K/N`` → (K, N), 1 ≤ K ≤ N; anything else is a usage mistake."""
    m = re.fullmatch(r"\s*(\d{1,4})\s*/\s*(\d{1,4})\s*", text or "")
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise UsageError(f"--shard {text} 的写法不对：要写成 K/N，例如 2/3（共 3 份中的第 2 份），K 从 1 数到 N。")
    return int(m.group(1)), int(m.group(2))


def plan(pubs: list[Publication], n: int) -> list[dict[str, list[str]]]:
    """Part k (0-based) → publication name → its department folders in that part (published order).
    Balanced by table count; the same content and N always give the same plan."""
    from .parallel import balance
    tables = {(pi, di): sum(len(u.projects) for u in d.units)
              for pi, pub in enumerate(pubs) for di, d in enumerate(pub.departments)}
    return [{pub.name: [d.folder for di, d in enumerate(pub.departments) if (pi, di) in share]
             for pi, pub in enumerate(pubs) if any(key[0] == pi for key in share)}
            for share in balance(tables, n)]


# --- the content a part carries ------------------------------------------------------------------

def content_files(pub: Publication) -> list[Path]:
    """The files the publication was built from: settings, own layouts and templates, and every
    department, unit and project file that was read."""
    files = [pub.source.path]
    for d in pub.departments:
        files.append(d.source.path)
        for u in d.units:
            files.append(u.source.path)
            files += [p.source.path for p in u.projects]
    folders = [pub.root / "layouts"] + ([pub.root / pub.settings.templates] if pub.settings.templates else [])
    for folder in folders:
        if folder.is_dir() and not folder.is_symlink():
            files += [p for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()]
    return files


def content_archive(pubs: list[Publication]) -> bytes:
    """The content of ``pubs`` as one zip, the same bytes for the same content (names sorted,
    fixed times): its hash tells whether two parts were built from the same content."""
    entries: dict[str, bytes] = {}
    for pub in pubs:
        for path in content_files(pub):
            rel = Path(path).resolve().relative_to(pub.root.resolve()).as_posix()
            entries[f"{pub.name}/{rel}"] = Path(path).read_bytes()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, entries[name])
    return buf.getvalue()


def part_outputs(out_dir: Path, k: int, n: int, formats: list[str], update_toc: bool, pubs: list[Publication],
                 share: dict[str, list[str]], made: dict[str, dict], files: dict[Path, Data]) -> dict[Path, Data]:
    """The files a part adds to the departments' files (``files``, path → content): the part's
    description, the content and (PDF) the departments' documents.  ``made``: publication name →
    what the build made besides its files (:attr:`ptgen.build.BuildResult.made`)."""
    from . import __version__
    out_dir = Path(out_dir)
    extra: dict[Path, Data] = {}
    for name, docs in made.items():
        for stem, pdf in (docs.get("pdf") or {}).items():
            for suffix in (".pdf", ".json"):
                extra[out_dir / DOCUMENTS / name / f"{stem}{suffix}"] = Path(pdf).with_suffix(suffix)  # copied at the commit
    archive = content_archive(pubs)
    extra[out_dir / CONTENT_FILE] = archive
    listed = {**files, **extra}
    description = {
        "ptgen-part": FORMAT, "ptgen": __version__, "part": k, "parts": n, "formats": formats,
        "update_toc": update_toc, "content": data_digest(archive),
        "publications": {pub.name: share.get(pub.name, []) for pub in pubs},
        "files": {Path(os.path.relpath(p, out_dir)).as_posix(): data_digest(data) for p, data in sorted(listed.items())},
    }
    extra[out_dir / PART_FILE] = json.dumps(description, ensure_ascii=False, indent=1).encode("utf-8")
    return extra


# --- assemble ------------------------------------------------------------------------------------

@dataclass
class Part:
    folder: Path
    about: dict


def read_parts(folders: list[Path]) -> list[Part]:
    """Each part's description, checked: every part of 1..N exactly once, all made from the same
    content with the same ptgen, formats and options, every file there as the part recorded it."""
    if not folders:
        raise UsageError("ptgen assemble 需要至少一个部分文件夹（ptgen build --shard K/N 的输出）。")
    parts = []
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            raise UsageError(f"找不到部分文件夹 {folder}。")
        try:
            about = json.loads((folder / PART_FILE).read_text(encoding="utf-8"))
            if not isinstance(about, dict) or about.get("ptgen-part") != FORMAT:
                raise ValueError
            k, n = int(about["part"]), int(about["parts"])
            if not (1 <= k <= n and isinstance(about["files"], dict) and isinstance(about["publications"], dict)):
                raise ValueError
        except FileNotFoundError:
            raise UserError(f"{folder} 不是 ptgen build --shard 生成的部分文件夹：里面没有 {PART_FILE}。",
                            hint="ptgen assemble 的参数是各个 ptgen build --shard K/N --out 文件夹。") from None
        except (OSError, ValueError, KeyError, TypeError):
            raise UserError(f"{folder}/{PART_FILE} 已损坏或不是这个版本的 ptgen 写的，无法拼合。",
                            hint="用同一个版本的 ptgen 重新生成这个部分（ptgen build --shard K/N）。") from None
        parts.append(Part(folder, about))
    first = parts[0]
    n = int(first.about["parts"])
    for p in parts[1:]:
        for key, what in (("parts", "份数 N"), ("content", "内容（不是同一版本的内容）"), ("ptgen", "ptgen 版本"),
                          ("formats", "格式（--format）"), ("update_toc", "--update-toc 选项")):
            if p.about.get(key) != first.about.get(key):
                raise UserError(f"部分 {p.folder} 与 {first.folder} 的{what}不同，不能拼合：它们不是同一次生成的部分。",
                                hint="所有部分要用同一份内容、同一个 ptgen 和相同的选项生成（ptgen build --shard K/N）。")
    seen: dict[int, Path] = {}
    for p in parts:
        k = int(p.about["part"])
        if k in seen:
            raise UserError(f"第 {k} 部分（共 {n} 部分）给了两次：{seen[k]} 和 {p.folder}。",
                            hint=f"每个部分只给一次：ptgen assemble 的参数是第 1 到第 {n} 部分各一个文件夹。")
        seen[k] = p.folder
    missing = [k for k in range(1, n + 1) if k not in seen]
    if missing:
        raise UserError(f"缺少第 {'、'.join(map(str, missing))} 部分（共 {n} 部分），拼合出来会缺少这些部门，没有生成任何文件。",
                        hint=f"把 ptgen build --shard K/{n} 的每个输出文件夹都交给 ptgen assemble（CI 里：下载所有部分的产物）。")
    for p in parts:
        for rel, digest in p.about["files"].items():
            path = p.folder / rel
            if not _safe(rel) or not path.is_file() or data_digest(path) != digest:
                raise UserError(f"部分 {p.folder} 里的 {rel} 缺失或与记录的内容不同（下载不完整，或被改动过），没有生成任何文件。",
                                hint="重新生成或重新下载这个部分。")
    return sorted(parts, key=lambda p: int(p.about["part"]))


def _safe(rel: str) -> bool:
    parts = Path(rel).parts
    return bool(parts) and not Path(rel).is_absolute() and ".." not in parts


def unpack_content(part: Part, into: Path) -> Path:
    """The content the parts were built from, written into ``into``; the folder holding the publications."""
    data = (part.folder / CONTENT_FILE).read_bytes()
    if data_digest(data) != part.about["content"]:
        raise UserError(f"部分 {part.folder} 里的 {CONTENT_FILE} 与记录的内容不同，没有生成任何文件。")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            if not _safe(info.filename) or info.is_dir():
                continue
            target = into / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zf.read(info))
    return into


def check_coverage(parts: list[Part], pubs: list[Publication]) -> None:
    """Every department of every publication in exactly one part."""
    owner: dict[tuple[str, str], Path] = {}
    for p in parts:
        for name, folders in p.about["publications"].items():
            for folder in folders:
                if (name, folder) in owner:
                    raise UserError(f"部门 {name}/{folder} 同时在部分 {owner[(name, folder)]} 和 {p.folder} 里。")
                owner[(name, folder)] = p.folder
    for pub in pubs:
        gone = [d.folder for d in pub.departments if (pub.name, d.folder) not in owner]
        if gone:
            raise UserError(f"出版物 {pub.name} 的部门 {'、'.join(gone)} 不在任何一个部分里，没有生成任何文件。")

"""The simplified Chinese faces of Noto Serif / Sans CJK as fonts of their own, for LibreOffice.

Debian's fonts-noto-cjk ships Noto Serif CJK and Noto Sans CJK only as collections
(``NotoSerifCJK-Regular.ttc``, …) whose five faces (JP, KR, SC, TC, HK) share one CFF table, named
after the JP face: ``NotoSerifCJKjp-Regular``, its sub-fonts ``NotoSerifCJKjp-Regular-Ideographs``,
….  Fontconfig gives LibreOffice the right face (index 2, ``NotoSerifCJKsc-Regular``) and LibreOffice
draws that face's glyphs, but its PDF export names each embedded font after the CFF table
(``NotoSerifCJKjp-Regular-VKana``).  So ptgen copies each face it uses out of its collection, once,
into a cache folder of its own, with the CFF names set to the face's own PostScript name, and
LibreOffice's fontconfig (:func:`.libreoffice.fontconfig`) reads that folder instead of those
collections.  The new names have the old ones' length ("jp" → "sc"), so the CFF table's bytes are
patched in place and every other table is copied as it is: about a second a face, where recompiling
the CFF table with fontTools takes two minutes.

The cache (``$XDG_CACHE_HOME/ptgen/libreoffice-fonts``, by default ``~/.cache/…``) has one file per
face, named after the collection's path, size and modification time and the face's index, written
to a hidden temporary file and renamed (fontconfig skips hidden files); ``manifest.json`` records
each file's size and modification time as written.  A file that does not match its record or whose
table directory runs past its end is written again.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import struct
import subprocess
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

try:
    import fcntl
except ImportError:  # not on Windows: the files are written atomically all the same
    fcntl = None

FORMAT = 1  # the cached files' format: a new number writes them again
STYLES = ("", ":weight=bold")  # the regular and the bold face of each family
MANIFEST = "manifest.json"
LOCK = ".lock"


class Face(NamedTuple):
    """One face of a font collection: the file and the face's index in it."""
    source: Path
    index: int


class Fonts(NamedTuple):
    """The folder with the faces as fonts of their own, and the collections they replace."""
    folder: Path
    replaced: tuple[Path, ...]


def cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "ptgen" / "libreoffice-fonts"


def collection_faces(families) -> list[Face]:
    """The faces fontconfig gives for ``families`` (regular and bold) where they are a face of a
    collection; none where fontconfig gives another family (the font is not installed)."""
    exe = shutil.which("fc-match")
    if not exe:
        return []
    faces: list[Face] = []
    for family in families:
        for style in STYLES:
            try:
                out = subprocess.run([exe, "-f", "%{file}\n%{index}\n%{family}", family + style],
                                     capture_output=True, text=True, timeout=60).stdout.split("\n")
            except (OSError, subprocess.SubprocessError):
                return []
            if len(out) < 3 or family not in out[2].split(",") or not out[1].isdigit():
                continue
            face = Face(Path(out[0]), int(out[1]))
            with contextlib.suppress(OSError):
                with open(face.source, "rb") as f:
                    if f.read(4) == b"ttcf" and face not in faces:
                        faces.append(face)
    return faces


def sc_fonts(families, workdir: Path) -> Fonts | None:
    """The faces of ``families`` that a collection holds, as fonts named as themselves (in the
    user's cache; in ``workdir`` for this run only where the cache cannot be written)."""
    faces = collection_faces(families)
    if not faces:
        return None
    for folder in (cache_folder(), workdir.resolve() / "fonts"):
        with contextlib.suppress(OSError):
            return _cached(folder, faces)
    return None


def _cached(folder: Path, faces: list[Face]) -> Fonts | None:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK, "a") as lock:  # one process (or thread) at a time checks and writes
        if fcntl:
            fcntl.flock(lock, fcntl.LOCK_EX)
        return _update(folder, faces)


def _update(folder: Path, faces: list[Face]) -> Fonts | None:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = None
    if not isinstance(manifest, dict):
        manifest = {}
    entries, replaced, changed = {}, [], False
    for face in faces:
        st = face.source.stat()
        key = f"{FORMAT}\n{face.source.resolve()}\n{face.index}\n{st.st_size}\n{st.st_mtime_ns}"
        name = hashlib.sha256(key.encode()).hexdigest()[:24] + ".otf"
        record = manifest.get(name)
        if not _intact(folder / name, record):
            try:
                record = _extract(face, folder / name)
            except (ValueError, KeyError, struct.error):  # not a CFF collection as Debian's: leave it as it is
                _forget(folder / name)
                continue
            changed = True
        entries[name] = record
        replaced.append(face.source)
    if changed or entries.keys() != manifest.keys():
        for old in folder.iterdir():  # faces of collections that changed or are gone; stale temporary files
            if old.name not in entries and old.name not in (MANIFEST, LOCK) and (
                    old.suffix == ".otf" or old.name.startswith(".") and time.time() - old.stat().st_mtime > 3600):
                _forget(old)
        _write(folder / MANIFEST, json.dumps(entries, indent=1, sort_keys=True).encode())
    return Fonts(folder, tuple(replaced)) if entries else None


def _intact(path: Path, record) -> bool:
    """Whether ``path`` is the file its manifest record says was written, and an OpenType font
    whose tables all lie inside it."""
    try:
        st = path.stat()
        if not isinstance(record, dict) or [st.st_size, st.st_mtime_ns] != [record.get("size"), record.get("mtime_ns")]:
            return False
        with open(path, "rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] != b"OTTO":
                return False
            count = struct.unpack(">H", head[4:6])[0]
            directory = f.read(16 * count)
        if len(directory) < 16 * count:
            return False
        tables = [struct.unpack_from(">4sIII", directory, 16 * i) for i in range(count)]
        return any(t[0] == b"CFF " for t in tables) and all(off + length <= st.st_size for _, _, off, length in tables)
    except OSError:
        return False


def _extract(face: Face, path: Path) -> dict:
    """Write ``face`` as a font of its own to ``path``, its CFF table named as the face."""
    import io

    from fontTools.ttLib import TTFont, TTLibError
    from fontTools.ttLib.tables.DefaultTable import DefaultTable

    try:
        font = TTFont(str(face.source), fontNumber=face.index, lazy=True, recalcTimestamp=False, recalcBBoxes=False)
        names = font["name"]
        cff = bytearray(font.reader["CFF "])
        _rename(cff, {_cff_string(cff, "font"): names.getDebugName(6) or "",
                      _cff_string(cff, "family"): names.getDebugName(1) or ""})
        table = DefaultTable("CFF ")
        table.data = bytes(cff)
        font["CFF "] = table
        out = io.BytesIO()
        font.save(out, reorderTables=False)
        font.close()
    except TTLibError as e:
        raise ValueError(str(e)) from e
    st = _write(path, out.getvalue())
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _write(path: Path, data: bytes) -> os.stat_result:
    """Write ``data`` to a hidden temporary file beside ``path``, then rename it: ``path`` is never
    half-written."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
            st = os.fstat(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        _forget(Path(tmp))
        raise
    return st


def _forget(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


# --- the CFF table's names (Adobe Technical Note #5176) ----------------------------------------

def _index(data, pos: int) -> tuple[int, list[tuple[int, int]]]:
    """The INDEX at ``pos``: where it ends, and where each of its items starts and ends."""
    count = struct.unpack_from(">H", data, pos)[0]
    if count == 0:
        return pos + 2, []
    size = data[pos + 2]
    offsets = [int.from_bytes(data[pos + 3 + i * size:pos + 3 + (i + 1) * size], "big") for i in range(count + 1)]
    base = pos + 2 + (count + 1) * size
    if base + offsets[-1] > len(data):
        raise ValueError("CFF INDEX past the table's end")
    return base + offsets[-1], [(base + offsets[i], base + offsets[i + 1]) for i in range(count)]


def _sections(cff) -> tuple[list, list, list]:
    """The Name, Top DICT and String INDEX items."""
    end, names = _index(cff, cff[2])
    end, tops = _index(cff, end)
    _, strings = _index(cff, end)
    return names, tops, strings


def _cff_string(cff, which: str) -> str:
    """The font's name (the Name INDEX) or its FamilyName (Top DICT operator 3, a string id)."""
    names, tops, strings = _sections(cff)
    if which == "font":
        a, b = names[0]
        return bytes(cff[a:b]).decode("latin-1")
    a, b = tops[0]
    sid = _dict(bytes(cff[a:b])).get(3)
    if sid is None or sid < 391 or sid - 391 >= len(strings):  # 0–390: the standard strings
        raise ValueError("CFF without FamilyName")
    a, b = strings[sid - 391]
    return bytes(cff[a:b]).decode("latin-1")


def _dict(data: bytes) -> dict[int, int]:
    """A CFF DICT's one-byte operators with their last integer operand."""
    out, operands, i = {}, [], 0
    while i < len(data):
        b0 = data[i]
        if b0 <= 21:
            if b0 == 12:
                i += 1
            elif operands:
                out[b0] = operands[-1]
            operands, i = [], i + 1
        elif b0 == 28:
            operands.append(struct.unpack_from(">h", data, i + 1)[0]); i += 3
        elif b0 == 29:
            operands.append(struct.unpack_from(">i", data, i + 1)[0]); i += 5
        elif b0 == 30:  # a real number: nibbles up to 0xf
            i += 1
            while i < len(data) and 0xF not in (data[i] >> 4, data[i] & 0xF):
                i += 1
            operands.append(0); i += 1
        elif b0 < 32 or b0 == 255:
            raise ValueError("CFF DICT: reserved byte")
        elif b0 <= 246:
            operands.append(b0 - 139); i += 1
        elif b0 <= 250:
            operands.append((b0 - 247) * 256 + data[i + 1] + 108); i += 2
        else:
            operands.append(-(b0 - 251) * 256 - data[i + 1] - 108); i += 2
    return out


def _rename(cff: bytearray, renames: dict[str, str]) -> None:
    """Replace each old name where a Name or String INDEX item is it or begins with it and a
    separator (``NotoSerifCJKjp-Regular-Kana``, ``Noto Serif CJK JP Regular``), in place: the new
    names must have the old ones' length."""
    names, _, strings = _sections(cff)
    for old, new in renames.items():
        if len(old) != len(new):
            raise ValueError(f"{old} → {new}: not the same length")
        o, n = old.encode("latin-1"), new.encode("latin-1")
        for a, b in names + strings:
            if cff[a:b] == o or cff[a:b].startswith(o) and cff[a + len(o)] in b"- ":
                cff[a:a + len(o)] = n

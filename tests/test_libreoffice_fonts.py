"""The SC faces of Debian's Noto CJK collections as fonts of their own, for LibreOffice
(render/scfonts.py, issue 12 req. 5): named as themselves, cached once, rebuilt when damaged."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ptgen.render import scfonts
from ptgen.render.libreoffice import FONT_ALIASES, fontconfig

FAMILIES = dict.fromkeys(FONT_ALIASES.values())  # Noto Serif CJK SC, Noto Sans CJK SC
pytestmark = pytest.mark.skipif(not shutil.which("fc-match") or not scfonts.collection_faces(FAMILIES),
                                reason="fontconfig and fonts-noto-cjk (its collections) not installed")


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "ptgen" / "libreoffice-fonts"


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.otf"))}


def mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.glob("*.otf")}


def named_as_itself(path: Path) -> str:
    """The font's PostScript name, after checking that its CFF table (font, sub-fonts, family) is
    named as the face and not as the collection's JP face."""
    from fontTools.ttLib import TTFont
    font = TTFont(str(path), lazy=True)
    ps, family = font["name"].getDebugName(6), font["name"].getDebugName(1)
    cff = font["CFF "].cff
    top = cff.topDictIndex[0]
    assert cff.fontNames == [ps] and ps.startswith("Noto") and "sc-" in ps, (cff.fontNames, ps)
    assert top.FamilyName == family and family.endswith(" SC") and top.FullName.startswith(family)
    assert top.FDArray and all(fd.FontName.startswith(ps + "-") for fd in top.FDArray)
    return ps


def test_sc_faces_are_copied_out_named_as_themselves_and_replace_the_collections(cache, tmp_path):
    """Four fonts (宋体 and 黑体, regular and bold), each its collection's SC face with its own
    names, the same glyphs for the same characters; LibreOffice's fontconfig finds them for 宋体 and
    黑体 and no longer sees the collections (no JP face to fall back to)."""
    from fontTools.ttLib import TTFont
    faces = scfonts.collection_faces(FAMILIES)
    fonts = scfonts.sc_fonts(FAMILIES, tmp_path)
    assert fonts.folder == cache and sorted(fonts.replaced) == sorted({f.source for f in faces})
    files = sorted(cache.glob("*.otf"))
    assert sorted(named_as_itself(p) for p in files) == [
        "NotoSansCJKsc-Bold", "NotoSansCJKsc-Regular", "NotoSerifCJKsc-Bold", "NotoSerifCJKsc-Regular"]
    copies = {f["name"].getDebugName(6): f for f in (TTFont(str(p), lazy=True) for p in files)}
    for face in faces:
        original = TTFont(str(face.source), fontNumber=face.index, lazy=True)
        cmap, copy = original.getBestCmap(), copies[original["name"].getDebugName(6)].getBestCmap()
        assert all(copy[c] == cmap[c] for c in map(ord, "宋体黑体骨直关复门画"))

    config = fontconfig(tmp_path)
    env = dict(os.environ, FONTCONFIG_FILE=str(config))
    for request in ("宋体", "宋体:weight=bold", "黑体", "SimSun", "Times New Roman"):
        found = subprocess.run(["fc-match", "-f", "%{file}|%{postscriptname}", request], env=env,
                               capture_output=True, text=True, check=True).stdout
        assert found.startswith(str(cache) + "/") and "sc-" in found, (request, found)
    seen = subprocess.run(["fc-list", "-f", "%{file}\n"], env=env, capture_output=True, text=True, check=True).stdout
    assert not set(map(str, fonts.replaced)) & set(seen.split("\n"))


def test_a_damaged_or_half_written_font_cache_is_rebuilt(cache, tmp_path):
    """Once written, the copies are used as they are; a copy cut short (as a crash in the middle of
    writing leaves it), one overwritten in place, or a manifest cut short is written again, and a
    stale temporary file is removed."""
    scfonts.sc_fonts(FAMILIES, tmp_path)
    good, written = digests(cache), mtimes(cache)
    assert len(good) == 4
    scfonts.sc_fonts(FAMILIES, tmp_path)
    assert mtimes(cache) == written  # nothing written again

    short, patched, *kept = sorted(good)
    with open(cache / short, "r+b") as f:
        f.truncate(os.path.getsize(cache / short) // 2)
    with open(cache / patched, "r+b") as f:
        f.seek(1000)
        f.write(b"\0" * 64)
    stale = cache / f".{short}.x1y2z3.tmp"
    stale.write_bytes(b"OTTO half a font")
    os.utime(stale, (1, 1))
    scfonts.sc_fonts(FAMILIES, tmp_path)
    assert digests(cache) == good and not stale.exists()
    assert {k: mtimes(cache)[k] for k in kept} == {k: written[k] for k in kept}

    manifest = cache / "manifest.json"
    manifest.write_bytes(manifest.read_bytes()[:40])
    scfonts.sc_fonts(FAMILIES, tmp_path)
    assert digests(cache) == good and all(mtimes(cache)[k] != written[k] for k in kept)


def test_a_changed_collection_is_copied_again_and_its_old_copy_removed(tmp_path):
    """The copies are keyed by the collection's path, size and modification time."""
    face = next(f for f in scfonts.collection_faces(FAMILIES) if "Sans" in f.source.name)
    source = tmp_path / face.source.name
    shutil.copy(face.source, source)
    folder = tmp_path / "fonts"
    first = scfonts._cached(folder, [scfonts.Face(source, face.index)])
    before = sorted(p.name for p in folder.glob("*.otf"))
    os.utime(source, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns + 10**9))
    again = scfonts._cached(folder, [scfonts.Face(source, face.index)])
    after = sorted(p.name for p in folder.glob("*.otf"))
    assert first.replaced == again.replaced == (source,)
    assert len(before) == len(after) == 1 and before != after

"""`ptgen import` of hostile .docx files: zip bombs, lying headers, not a zip, entity expansion."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from test_import_safety import ptgen


# --- 3. hostile .docx files --------------------------------------------------------------------

@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    """A ~2 MB .docx whose word/document.xml inflates to 2 GB of zeros."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.docx"
    chunk = bytes(1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            for _ in range(2048):
                f.write(chunk)
    return path


MEASURE = """
import resource, subprocess, sys
r = subprocess.run([sys.executable, "-m", "ptgen", *sys.argv[1:]], capture_output=True, text=True)
sys.stdout.write(r.stdout)
sys.stderr.write(r.stderr)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(r.returncode)
"""


def _import_measured(src: Path, into: Path):
    r = subprocess.run([sys.executable, "-c", MEASURE, "import", str(src), "--into", str(into)],
                       capture_output=True, text=True, timeout=300)
    *lines, peak = r.stderr.strip().splitlines()
    return r.returncode, "\n".join(lines), int(peak) // 1024  # MB


def test_zip_bomb_is_refused_before_inflating(tmp_path, bomb):
    assert bomb.stat().st_size < 8 << 20
    code, stderr, peak_mb = _import_measured(bomb, tmp_path / "pub")
    assert code == 1, stderr
    assert "bomb.docx" in stderr and "word/document.xml" in stderr and "内部错误" not in stderr, stderr
    assert peak_mb < 300, peak_mb
    assert not (tmp_path / "pub").exists()


def _lie_about_size(src: Path, dst: Path, member: str, size: int) -> None:
    """Copy ``src`` with the uncompressed size of ``member`` in its zip64 extra fields set to ``size``."""
    import struct
    data = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as z:
        info = z.getinfo(member)
    real = struct.pack("<Q", info.file_size)
    count = 0
    start = 0
    while (i := data.find(real, start)) >= 0:
        data[i:i + 8] = struct.pack("<Q", size)
        start, count = i + 8, count + 1
    assert count >= 1
    dst.write_bytes(bytes(data))


def test_a_lying_size_header_cannot_inflate_past_the_cap(tmp_path, bomb):
    liar = tmp_path / "liar.docx"
    _lie_about_size(bomb, liar, "word/document.xml", 2000)
    with zipfile.ZipFile(liar) as z:
        assert z.getinfo("word/document.xml").file_size == 2000
    code, stderr, peak_mb = _import_measured(liar, tmp_path / "pub")
    assert code == 1 and "liar.docx" in stderr and "无法解压" in stderr and "内部错误" not in stderr, stderr
    assert peak_mb < 300, peak_mb


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
 <!ENTITY ext SYSTEM "file:///etc/passwd">
]>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:r><w:t>1.&lol9;&ext;绩效目标表</w:t></w:r></w:p></w:body></w:document>
""".encode("utf-8")


@pytest.mark.parametrize("case, expected", [
    ("not_zip", "不是 zip"),
    ("no_document", "word/document.xml"),
    ("entities", "DTD"),
])
def test_broken_docx_files_give_clear_errors(tmp_path, case, expected):
    src = tmp_path / f"{case}.docx"
    if case == "not_zip":
        src.write_text("这不是 Word 文件", encoding="utf-8")
    elif case == "no_document":
        _zip(src, {"[Content_Types].xml": b"<Types/>", "word/other.xml": b"<x/>"})
    else:
        _zip(src, {"[Content_Types].xml": b"<Types/>", "word/document.xml": BILLION_LAUGHS})
    r = ptgen("import", src, "--into", tmp_path / "pub")
    assert r.returncode == 1, r.stderr
    assert f"{case}.docx" in r.stderr and expected in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and "内部错误" not in r.stderr and "root:" not in r.stderr
    assert not (tmp_path / "pub").exists()




def test_a_huge_text_source_is_refused_before_it_is_read(tmp_path):
    """An extracted-text source is a few KB (a 1,000-table book a few MB); a huge one was read
    whole (a 3 GB file: minutes, then the machine ran out of memory): its size is checked first."""
    big = tmp_path / "huge.txt"
    seed = "主管部门\t上海市人力资源和社会保障局\t实施单位\t上海市职业技能鉴定中心\n"
    with open(big, "w", encoding="utf-8") as f:
        f.write(seed)
        f.truncate(200 << 20)  # sparse: 200 MB of NUL bytes after the first line
    code, stderr, peak_mb = _import_measured(big, tmp_path / "pub")
    assert code == 1 and "huge.txt" in stderr and "太大" in stderr and "内部错误" not in stderr, stderr
    assert peak_mb < 150, peak_mb
    assert not (tmp_path / "pub").exists()


def test_a_zip_bomb_as_the_publications_word_template_is_refused_before_inflating(tmp_path):
    """The Word template may come with the content (a pull request): the same limits as import."""
    from helpers import make_publication
    settings = 'title: 测试出版物\nyear: "2025"\nregion: 天津市\ndepartments:\n  - "353"\ntemplates: tpl\nlayout: tianjin\n'
    root = make_publication(tmp_path / "pub", settings=settings)
    template = root / "tpl" / "docx" / "tianjin.docx"
    template.parent.mkdir(parents=True)
    from ptgen.build import BUILTIN_TEMPLATES
    with zipfile.ZipFile(BUILTIN_TEMPLATES / "docx" / "tianjin.docx") as shipped, \
            zipfile.ZipFile(template, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for info in shipped.infolist():  # the shipped template, its styles part 200 MB of zeros
            if info.filename != "word/styles.xml":
                z.writestr(info, shipped.read(info))
        with z.open("word/styles.xml", "w", force_zip64=True) as f:
            for _ in range(200):
                f.write(bytes(1 << 20))
    r = subprocess.run([sys.executable, "-c", MEASURE, "build", str(root), "--out", str(tmp_path / "out"),
                        "--format", "docx"], capture_output=True, text=True, timeout=300)
    *lines, peak = r.stderr.strip().splitlines()
    stderr, peak_mb = "\n".join(lines), int(peak) // 1024
    assert r.returncode == 1 and "模板" in stderr and "压缩炸弹" in stderr and "内部错误" not in stderr, stderr
    assert peak_mb < 150, peak_mb
    assert not (tmp_path / "out" / "docx").exists()

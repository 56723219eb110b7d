"""`ptgen fmt` formats content files only and never through a symlink; `schema --output` never overwrites."""
from __future__ import annotations

import json

from helpers import GOOD_PROJECT, make_publication
from test_import_safety import ptgen


# --- 6. fmt: content files only, never through a symlink ------------------------------------------

MESSY_OTHER = "b: 1\na:    2   # x\n"


def test_fmt_skips_symlinks_and_never_writes_through_them(tmp_path):
    root = make_publication(tmp_path / "pub")
    outside = tmp_path / "outside.yaml"
    outside.write_text(GOOD_PROJECT.replace("name: 信息系统运维费", "bookmark_first: x\nname: 信息系统运维费"),
                       encoding="utf-8")
    original = outside.read_bytes()
    link = root / "353" / "353101" / "p.yaml"
    link.unlink()
    link.symlink_to(outside)
    for args in ([root], [link]):
        r = ptgen("fmt", *args)
        assert link.is_symlink() and outside.read_bytes() == original, r.stdout
        assert "符号链接" in r.stdout + r.stderr and "内部错误" not in r.stderr


def test_fmt_formats_only_content_files(tmp_path):
    root = make_publication(tmp_path / "pub", extra={"templates/x.yaml": MESSY_OTHER,
                                                    "353/notes/extra.yaml": MESSY_OTHER,
                                                    "353/353101/sub/deeper.yaml": MESSY_OTHER})
    (root / "353" / "353101" / "p.yaml").write_text(GOOD_PROJECT.replace('total: "100.00"', "total: '100.00'"),
                                                      encoding="utf-8")
    others = ["templates/x.yaml", "353/notes/extra.yaml", "353/353101/sub/deeper.yaml"]
    r = ptgen("fmt", root)
    assert r.returncode == 0, r.stderr
    assert 'total: "100.00"' in (root / "353" / "353101" / "p.yaml").read_text(encoding="utf-8")
    for rel in others:
        assert (root / rel).read_text(encoding="utf-8") == MESSY_OTHER, rel
    r = ptgen("fmt", root / "templates" / "x.yaml")
    assert (root / "templates" / "x.yaml").read_text(encoding="utf-8") == MESSY_OTHER
    assert "不是内容文件" in r.stdout + r.stderr


def test_fmt_of_a_folder_named_through_a_symlink_formats_it_as_check_reads_it(tmp_path):
    """The folder named on the command line may be a link (content/ linked from elsewhere): check
    reads it, so fmt formats it too; links found inside it are still skipped."""
    root = make_publication(tmp_path / "pub")
    project = root / "353" / "353101" / "p.yaml"
    project.write_text(GOOD_PROJECT.replace('total: "100.00"', "total: '100.00'"), encoding="utf-8")
    outside = tmp_path / "outside.yaml"
    outside.write_text(MESSY_OTHER, encoding="utf-8")
    (root / "353" / "353101" / "linked.yaml").symlink_to(outside)
    link = tmp_path / "link"
    link.symlink_to(root)
    r = ptgen("fmt", link)
    assert r.returncode == 0, r.stdout + r.stderr
    assert 'total: "100.00"' in project.read_text(encoding="utf-8"), r.stdout
    assert outside.read_text(encoding="utf-8") == MESSY_OTHER and "符号链接" in r.stdout + r.stderr


def test_fmt_names_a_file_it_cannot_read_and_formats_the_others(tmp_path):
    """A FIFO (or any file the system will not read) where a project file belongs: fmt names it and
    goes on, as check does (F001); it used to stop at once with "读写 目标位置 时操作系统报错"."""
    import os
    root = make_publication(tmp_path / "pub")
    project = root / "353" / "353101" / "p.yaml"
    project.write_text(GOOD_PROJECT.replace('total: "100.00"', "total: '100.00'"), encoding="utf-8")
    os.mkfifo(root / "353" / "353101" / "pipe.yaml")
    r = ptgen("fmt", root)
    assert r.returncode == 1 and "pipe.yaml" in r.stderr and "目标位置" not in r.stderr, r.stdout + r.stderr
    assert 'total: "100.00"' in project.read_text(encoding="utf-8"), r.stdout


# --- 7. schema --output -------------------------------------------------------------------------

def test_schema_output_never_overwrites_without_force(tmp_path):
    target = tmp_path / "s.json"
    target.write_text("mine", encoding="utf-8")
    r = ptgen("schema", "--output", target)
    assert r.returncode == 2 and "--force" in r.stderr and "已存在" in r.stderr, r.stderr
    assert target.read_text(encoding="utf-8") == "mine"
    r = ptgen("schema", "--output", target, "--force")
    assert r.returncode == 0 and json.loads(target.read_text(encoding="utf-8"))["title"]
    folder = tmp_path / "dir"
    folder.mkdir()
    r = ptgen("schema", "--output", folder)
    assert r.returncode == 1 and "文件夹" in r.stderr and "内部错误" not in r.stderr, r.stderr
    assert not any(folder.iterdir())

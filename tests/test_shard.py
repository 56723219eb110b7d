"""A build across machines: ``ptgen build --shard K/N`` and ``ptgen assemble`` give, byte for byte,
what one ``ptgen build`` gives; a part missing, given twice or of other content is an error."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT

sys.path.insert(0, str(ROOT / "bench"))
from generate import generate  # noqa: E402

FORMATS = "docx,html,pdf"


def ptgen(*args):
    return subprocess.run([sys.executable, "-m", "ptgen", *map(str, args)], capture_output=True, text=True, timeout=600)


def files(root: Path) -> dict[str, bytes]:
    """Every file of a publication's build: the outputs and the manifest (not the render cache or the lock)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".cache" not in p.relative_to(root).parts and p.name != ".ptgen-lock"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Five departments of unequal size, built once whole and once as three parts."""
    tmp = tmp_path_factory.mktemp("shard")
    pub = generate(tmp / "pub", 23, departments=5)
    single, parts = whole_and_parts(pub, tmp, FORMATS)
    return pub, single, parts, tmp


def whole_and_parts(pub: Path, tmp: Path, formats: str) -> tuple[Path, list[Path]]:
    """``pub`` built once whole (tmp/single) and once as three parts (tmp/part-K)."""
    r = ptgen("build", pub, "--out", tmp / "single", "--format", formats)
    assert r.returncode == 0, r.stderr
    parts = []
    for k in (1, 2, 3):
        part = tmp / f"part-{k}"
        r = ptgen("build", pub, "--out", part, "--format", formats, "--shard", f"{k}/3")
        assert r.returncode == 0, r.stderr
        parts.append(part)
    return tmp / "single", parts


def test_three_parts_assembled_are_the_single_build_byte_for_byte(built):
    pub, single, parts, tmp = built
    out = tmp / "assembled"
    r = ptgen("assemble", *parts, "--out", out, "--verify")
    assert r.returncode == 0, r.stderr
    assert "核对通过" in r.stdout
    want, got = files(single), files(out)
    assert sorted(got) == sorted(want)
    assert [rel for rel in want if got[rel] != want[rel]] == []
    # The book is whole: every table, the outline and the named destinations of all five departments.
    from pypdf import PdfReader
    book = PdfReader(out / "pdf" / "pub" / "pub.pdf")
    assert len([o for o in book.outline if not isinstance(o, list)]) == 5  # departments; their units below
    dests = set(book.named_destinations)
    assert sum(1 for d in dests if d.startswith("_Toc_4_4_")) == 23


def test_each_part_holds_its_share_only_and_the_shares_cover_every_department(built):
    pub, single, parts, tmp = built
    seen = []
    for k, part in enumerate(parts, 1):
        about = json.loads((part / "ptgen-part.json").read_text(encoding="utf-8"))
        assert (about["part"], about["parts"]) == (k, 3)
        mine = about["publications"]["pub"]
        seen += mine
        assert sorted(p.stem for p in (part / "docx" / "pub").glob("*.docx")) == sorted(mine)
        assert not (part / "docx" / "pub" / "pub.docx").exists() and not (part / "html" / "pub" / "index.html").exists()
        for d in mine:  # the departments' files are those of the whole build
            for fmt in ("docx", "html", "pdf"):
                assert (part / fmt / "pub" / f"{d}.{fmt}").read_bytes() == (single / fmt / "pub" / f"{d}.{fmt}").read_bytes()
    assert sorted(seen) == ["301", "302", "303", "304", "305"]


def test_the_plan_is_balanced_by_tables_and_the_same_every_time(tmp_path):
    from ptgen import api, shard
    pub = generate(tmp_path / "pub", 40, departments=8)
    # Make the departments unequal: move projects out of the last units' listings.
    pubs = api.check(pub).publications
    one = shard.plan(pubs, 3)
    assert one == shard.plan(api.check(pub).publications, 3)
    sizes = {d.folder: sum(len(u.projects) for u in d.units) for d in pubs[0].departments}
    loads = [sum(sizes[f] for f in part.get("pub", [])) for part in one]
    assert sorted(f for part in one for f in part.get("pub", [])) == sorted(sizes)
    assert max(loads) - min(loads) <= max(sizes.values())
    assert all(part["pub"] == sorted(part["pub"], key=list(sizes).index) for part in one)  # published order


def _assemble_fails(tmp: Path, *parts: Path) -> subprocess.CompletedProcess:
    out = tmp / "out-failed"
    shutil.rmtree(out, ignore_errors=True)
    r = ptgen("assemble", *parts, "--out", out)
    assert r.returncode in (1, 2), r.stdout + r.stderr
    assert "Traceback" not in r.stderr and "内部错误" not in r.stderr
    assert not (out / "docx").exists() and not (out / "pdf").exists()
    return r


def test_a_missing_part_is_an_error_not_a_gap(built):
    _, _, parts, tmp = built
    r = _assemble_fails(tmp, parts[0], parts[2])
    assert "缺少第 2 部分（共 3 部分）" in r.stderr


def test_a_part_given_twice_is_an_error(built):
    _, _, parts, tmp = built
    r = _assemble_fails(tmp, parts[0], parts[1], parts[0], parts[2])
    assert "第 1 部分（共 3 部分）给了两次" in r.stderr


def test_parts_of_other_content_do_not_assemble(built):
    pub, _, parts, tmp = built
    other = tmp / "pub-other"
    shutil.copytree(pub, other.parent / "other-src" / "pub")
    src = other.parent / "other-src" / "pub"
    p = next(src.rglob("p001.yaml"))
    p.write_text(p.read_text(encoding="utf-8").replace("≥", "≥1", 1), encoding="utf-8")
    part2 = tmp / "part-2-other"
    assert ptgen("build", src, "--out", part2, "--format", FORMATS, "--shard", "2/3").returncode == 0
    r = _assemble_fails(tmp, parts[0], part2, parts[2])
    assert "内容" in r.stderr and "不能拼合" in r.stderr


def test_a_part_damaged_on_the_way_is_an_error(built):
    _, _, parts, tmp = built
    broken = tmp / "part-1-broken"
    shutil.rmtree(broken, ignore_errors=True)
    shutil.copytree(parts[0], broken)
    victim = next((broken / "pdf-parts" / "pub").glob("*.pdf"))
    victim.write_bytes(victim.read_bytes()[:1000])
    r = _assemble_fails(tmp, broken, parts[1], parts[2])
    assert "缺失或与记录的内容不同" in r.stderr
    r = _assemble_fails(tmp, tmp / "single", parts[1], parts[2])
    assert "不是 ptgen build --shard 生成的部分文件夹" in r.stderr


@pytest.mark.parametrize("bad", ["0/3", "4/3", "3", "a/b", "1/0"])
def test_a_bad_shard_is_a_usage_mistake(tmp_path, bad):
    pub = generate(tmp_path / "pub", 4, departments=2)
    r = ptgen("build", pub, "--out", tmp_path / "out", "--shard", bad, "--format", "docx")
    assert r.returncode == 2 and "K/N" in r.stderr and "Traceback" not in r.stderr


def test_a_part_without_departments_still_assembles(tmp_path):
    """More parts than departments: the empty parts are parts too."""
    pub = generate(tmp_path / "pub", 4, departments=2)
    single, parts = tmp_path / "single", []
    assert ptgen("build", pub, "--out", single, "--format", "docx,html").returncode == 0
    for k in (1, 2, 3):
        parts.append(tmp_path / f"part-{k}")
        r = ptgen("build", pub, "--out", parts[-1], "--format", "docx,html", "--shard", f"{k}/3")
        assert r.returncode == 0, r.stderr
    assert json.loads((parts[2] / "ptgen-part.json").read_text(encoding="utf-8"))["publications"] == {"pub": []}
    out = tmp_path / "assembled"
    r = ptgen("assemble", *parts, "--out", out)
    assert r.returncode == 0, r.stderr
    assert files(out) == files(single)


def test_the_example_workflow_uploads_every_file_of_a_part_and_assembles_every_shard(built):
    import yaml
    flow = yaml.safe_load((ROOT / "examples" / "github-workflow-shards.yml").read_text(encoding="utf-8"))
    shards = flow["jobs"]["build"]["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, int(flow["env"]["SHARDS"]) + 1))
    build = "\n".join(s.get("run", "") for s in flow["jobs"]["build"]["steps"])
    assert "ptgen build content --shard ${{ matrix.shard }}/${{ env.SHARDS }} --out part-${{ matrix.shard }}" in build
    upload = next(s for s in flow["jobs"]["build"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    uploaded = {line.strip().split("/", 1)[1] for line in upload["with"]["path"].splitlines() if line.strip()}
    _, _, parts, _ = built
    assert {p.name for p in parts[0].iterdir() if not p.name.startswith(".")} <= uploaded
    assemble = "\n".join(s.get("run", "") for s in flow["jobs"]["assemble"]["steps"])
    assert 'ptgen assemble $(seq -f "part-%g" 1 $SHARDS) --out build' in assemble


def test_spreadsheets_are_shared_out_too_and_assemble_to_the_single_build(tmp_path):
    """--shard with xlsx and csv: each department's workbook is in exactly one part, the
    publication's workbook and CSV package are made by assemble, and the result is the single
    build's, file for file; assemble's closing line points at the content, not at --out."""
    pub = generate(tmp_path / "pub", 23, departments=5)
    _, parts = whole_and_parts(pub, tmp_path, "xlsx,csv,html")
    books = [p.relative_to(part) for part in parts for p in part.rglob("*.xlsx")]
    assert len(books) == len(set(books)) == 5  # one workbook per department, each in one part
    r = ptgen("assemble", *parts, "--out", tmp_path / "asm")
    assert r.returncode == 0, r.stderr
    assert f"ptgen check {tmp_path / 'asm'}" not in r.stdout
    want, got = files(tmp_path / "single"), files(tmp_path / "asm")
    assert sorted(got) == sorted(want)
    assert [rel for rel in want if got[rel] != want[rel]] == []

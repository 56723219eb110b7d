"""Review workflow in real temporary git repositories: diff (all formats), anchor stability, fmt,
schema and new."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers import CONTENT, GOOD_PROJECT, ROOT, W_NS, docx_xml, make_publication

GIT = ["git", "-c", "user.email=t@example.org", "-c", "user.name=ptgen test", "-c", "init.defaultBranch=main"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def ptgen(repo: Path, *args):
    return subprocess.run([sys.executable, "-m", "ptgen", *map(str, args)], cwd=repo, capture_output=True, text=True,
                          timeout=300)


def second(name: str, bookmark: str, total: str = "50.00") -> str:
    return (GOOD_PROJECT.replace("信息系统运维费", name).replace("_Toc_4_4_0000000004", bookmark)
            .replace('"100.00"', f'"{total}"').replace("≤100万元", f"≤{total.split('.')[0]}万元"))


@pytest.fixture
def repo(tmp_path):
    """content/pub: unit 353101 with p.yaml and q.yaml, unit 353102 with r.yaml; committed on main."""
    repo = tmp_path / "repo"
    root = make_publication(repo / "content" / "pub", extra={
        "353/353101/unit.yaml": 'code: "353101"\nname: 测试单位\nprojects:\n  - p.yaml\n  - q.yaml\n',
        "353/353101/q.yaml": second("档案服务经费", "_Toc_4_4_0000000005"),
        "353/353102/unit.yaml": 'code: "353102"\nname: 第二单位\nprojects:\n  - r.yaml\n',
        "353/353102/r.yaml": second("培训经费", "_Toc_4_4_0000000006", "30.00"),
    })
    dept = root / "353" / "department.yaml"
    dept.write_text(dept.read_text(encoding="utf-8") + '  - "353102"\n', encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    return repo


def unit_dir(repo, code="353101") -> Path:
    return repo / "content" / "pub" / "353" / code


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def all_formats(repo: Path, tmp: Path, *revs: str):
    term = ptgen(repo, "diff", *revs)
    md = ptgen(repo, "diff", *revs, "--format", "markdown")
    js = ptgen(repo, "diff", *revs, "--format", "json")
    out = tmp / f"redline-{len(list(tmp.glob('redline-*')))}.docx"
    dx = ptgen(repo, "diff", *revs, "--format", "docx", "--output", out)
    assert "Traceback" not in term.stderr + md.stderr + js.stderr + dx.stderr
    return term, md, json.loads(js.stdout), out, dx


def tracked(path: Path) -> tuple[list[str], list[str]]:
    root = docx_xml(path)
    ins = ["".join(t.text or "" for t in e.iter(W_NS + "t")) for e in root.iter(W_NS + "ins")]
    dels = ["".join(t.text or "" for t in e.iter(W_NS + "delText")) for e in root.iter(W_NS + "del")]
    for e in list(root.iter(W_NS + "ins")) + list(root.iter(W_NS + "del")):
        assert e.get(W_NS + "author") == "ptgen" and e.get(W_NS + "date")
    return [i for i in ins if i], [d for d in dels if d]


def the_project(js, bookmark):
    return next(c for p in js["publications"] for c in p["projects"] if c["bookmark"] == bookmark)


def test_changed_value_and_budget(repo, tmp_path):
    edit(unit_dir(repo) / "p.yaml", "≥10个", "≥12个")
    edit(unit_dir(repo) / "q.yaml", 'total: "50.00"', 'total: "55.50"')
    edit(unit_dir(repo) / "q.yaml", 'fiscal: "50.00"', 'fiscal: "55.50"')
    term, md, js, docx, dx = all_formats(repo, tmp_path, "HEAD")
    assert term.returncode == 0 and "≥10个 → ≥12个" in term.stdout and "50.00 → 55.50（+5.50）" in term.stdout
    assert md.stdout.startswith("### ptgen diff：2 个项目有变化：修改 2。")
    assert "| 预算数 | 50.00 | 55.50 | +5.50 |" in md.stdout and "<details>" in md.stdout
    p = the_project(js, "_Toc_4_4_0000000004")
    assert p["indicators"][0]["changes"] == [{"field": "value", "label": "指标值", "old": "≥10个", "new": "≥12个",
                                              "delta": None}]
    q = the_project(js, "_Toc_4_4_0000000005")
    assert {b["field"]: b["delta"] for b in q["budget"]} == {"total": "+5.50", "fiscal": "+5.50"}
    unit = next(t for t in js["publications"][0]["totals"] if t["level"] == "unit")
    assert unit["old"]["total"] == "150.00" and unit["new"]["total"] == "155.50"
    ins, dels = tracked(docx)
    assert "≥12个" in ins and "≥10个" in dels and "55.50" in ins and "50.00" in dels


def test_new_and_removed_projects(repo, tmp_path):
    u = unit_dir(repo)
    (u / "s.yaml").write_text(second("新增项目", "_Toc_4_4_0000000007", "20.00"), encoding="utf-8")
    edit(u / "unit.yaml", "  - q.yaml\n", "  - q.yaml\n  - s.yaml\n")
    term, md, js, docx, _ = all_formats(repo, tmp_path, "HEAD")
    assert term.returncode == 0 and "新增 _Toc_4_4_0000000007 新增项目" in term.stdout
    assert "新增 1" in md.stdout and "<b>新增</b> <code>_Toc_4_4_0000000007</code> 新增项目" in md.stdout
    assert js["summary"] == {"added": 1, "removed": 0, "changed": 0}
    ins, _ = tracked(docx)
    assert "新增项目" in ins and "≥10个" in ins
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "add s")
    # Removing a published project breaks links to its bookmark: an error unless acknowledged.
    (unit_dir(repo, "353102") / "r.yaml").unlink()
    # (an empty "projects:" is not a list: Y005, which diff now reports instead of a removal)
    edit(unit_dir(repo, "353102") / "unit.yaml", "projects:\n  - r.yaml\n", "projects: []\n")
    term, md, js, docx, _ = all_formats(repo, tmp_path, "HEAD")
    assert term.returncode == 1 and "书签稳定性错误" in term.stdout and "_Toc_4_4_0000000006" in term.stdout
    assert js["summary"]["removed"] == 1 and js["anchor_problems"][0]["bookmark"] == "_Toc_4_4_0000000006"
    assert js["anchor_problems"][0]["kind"] == "removed"  # what --allow-removed filters on (not the message text)
    assert "[!CAUTION]" in md.stdout and "<b>删除</b> <code>_Toc_4_4_0000000006</code> 培训经费" in md.stdout
    _, dels = tracked(docx)
    assert "培训经费" in dels
    assert ptgen(repo, "diff", "HEAD", "--allow-removed").returncode == 0


def test_renamed_file_and_moved_project_keep_their_bookmark(repo, tmp_path):
    u = unit_dir(repo)
    git(repo, "mv", str(u / "p.yaml"), str(u / "运维费.yaml"))
    edit(u / "unit.yaml", "  - p.yaml\n", "  - 运维费.yaml\n")
    # q.yaml moves to unit 353102, and gets a new name.
    shutil.move(u / "q.yaml", unit_dir(repo, "353102") / "q.yaml")
    edit(u / "unit.yaml", "  - q.yaml\n", "")
    edit(unit_dir(repo, "353102") / "unit.yaml", "  - r.yaml\n", "  - r.yaml\n  - q.yaml\n")
    edit(unit_dir(repo, "353102") / "q.yaml", "name: 档案服务经费", "name: 档案数字化服务经费")
    term, md, js, docx, _ = all_formats(repo, tmp_path, "HEAD")
    assert term.returncode == 0, term.stdout
    assert js["summary"] == {"added": 0, "removed": 0, "changed": 2}
    p = the_project(js, "_Toc_4_4_0000000004")
    assert p["old_file"].endswith("p.yaml") and p["file"].endswith("运维费.yaml") and p["old_location"] is None
    q = the_project(js, "_Toc_4_4_0000000005")
    assert q["old_location"].endswith("测试单位") and q["location"].endswith("第二单位")
    assert q["old_name"] == "档案服务经费" and q["name"] == "档案数字化服务经费"
    assert "文件改名" in term.stdout and "移动" in term.stdout and "改名" in md.stdout
    assert "- 文件：`353/353101/p.yaml` → `353/353101/运维费.yaml`" in md.stdout
    assert "- 位置：天津市人力资源和社会保障局/测试单位 → 天津市人力资源和社会保障局/第二单位" in md.stdout
    moved = next(t for t in js["publications"][0]["totals"] if t["name"].endswith("第二单位"))
    assert moved["delta"]["total"] == "+50.00"
    ins, dels = tracked(docx)
    assert "档案数字化服务经费" in ins and "档案服务经费" in dels


def test_a_bookmark_pointing_at_another_project_fails(repo, tmp_path):
    # Swap the bookmarks of p and q: every old link would open the wrong table.
    edit(unit_dir(repo) / "p.yaml", "_Toc_4_4_0000000004", "_Toc_4_4_0000000005")
    edit(unit_dir(repo) / "q.yaml", "_Toc_4_4_0000000005", "_Toc_4_4_0000000004")
    r = ptgen(repo, "diff", "HEAD", "--format", "json")
    assert r.returncode == 1
    assert any("指向了另一个项目" in a["message"] for a in json.loads(r.stdout)["anchor_problems"])
    assert {a["kind"] for a in json.loads(r.stdout)["anchor_problems"]} == {"reassigned"}
    assert ptgen(repo, "diff", "HEAD", "--allow-removed").returncode == 1  # a removal is allowed, this is not
    c = ptgen(repo, "check", "content", "--against", "HEAD", "--format", "json")
    a01 = [i for i in json.loads(c.stdout) if i["code"] == "A01"]
    assert c.returncode == 1 and a01 and a01[0]["file"].endswith(".yaml") and a01[0]["line"] == 2


def test_default_base_and_missing_revisions(repo, tmp_path):
    git(repo, "checkout", "-qb", "feature")
    edit(unit_dir(repo) / "p.yaml", "≥10个", "≥11个")
    git(repo, "commit", "-qam", "change")
    r = ptgen(repo, "diff")  # merge base with main → working tree
    assert r.returncode == 0 and "≥10个 → ≥11个" in r.stdout and "合并基点" in r.stdout
    r = ptgen(repo, "diff", "no-such-rev")
    assert r.returncode == 1 and "找不到 git 版本“no-such-rev”" in r.stderr and "Traceback" not in r.stderr
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow)], check=True)
    r = ptgen(shallow, "diff", "HEAD~1")
    assert r.returncode == 1 and "浅克隆" in r.stderr
    r = ptgen(repo, "diff", "HEAD", "--format", "docx")
    assert r.returncode == 2 and "--output" in r.stderr


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice not installed")
def test_redline_opens_in_libreoffice_with_its_tracked_changes(repo, tmp_path):
    edit(unit_dir(repo) / "p.yaml", "≥10个", "≥12个")
    out = tmp_path / "redline.docx"
    assert ptgen(repo, "diff", "HEAD", "--format", "docx", "--output", out).returncode == 0
    # LibreOffice reads the document (tracked changes included) and writes it back as .docx.
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to",
                    "docx:MS Word 2007 XML", "--outdir", str(tmp_path / "lo"), str(out)], check=True, capture_output=True,
                   timeout=300)
    ins, dels = tracked(tmp_path / "lo" / "redline.docx")
    assert "≥12个" in "".join(ins) and "≥10个" in "".join(dels)


# --- fmt -----------------------------------------------------------------------------------------

MESSY = """\
# 我的注释：这一行要留着
bookmark: _Toc_4_4_0000000004   # 书签不能改
name: 信息系统运维费
budget:
  other: ""
  total: 100.00   # 预算
  fiscal: '100.00'
goals: "1.保障系统稳定运行。"
indicators:
  # 产出指标
  - value: ≥10个
    level1: 产出指标
    level2: 数量指标
    name: 运维系统数量
    description: 反映运维的系统数量
purpose: 用于信息系统运行维护
"""


def test_fmt_keeps_comments_is_idempotent_and_check_exits_as_promised(tmp_path):
    root = make_publication(tmp_path / "pub", MESSY)
    p = root / "353" / "353101" / "p.yaml"
    before = p.read_text(encoding="utf-8")
    r = ptgen(tmp_path, "fmt", "--check", root)
    assert r.returncode == 1 and "p.yaml" in r.stdout and p.read_text(encoding="utf-8") == before
    assert ptgen(tmp_path, "fmt", root).returncode == 0
    after = p.read_text(encoding="utf-8")
    for comment in ("# 我的注释：这一行要留着", "# 书签不能改", "# 预算", "# 产出指标"):
        assert comment in after
    assert after.index("name:") < after.index("bookmark:") < after.index("budget:") < after.index("purpose:")
    assert 'total: "100.00"' in after and after.index("level1:") < after.index("value:")
    assert yaml.load(after, Loader=yaml.BaseLoader)["budget"]["total"] == "100.00"
    r = ptgen(tmp_path, "fmt", "--check", root)
    assert r.returncode == 0 and "都已统一" in r.stdout
    assert ptgen(tmp_path, "fmt", root).returncode == 0 and p.read_text(encoding="utf-8") == after


def test_fmt_never_drops_unknown_keys_and_skips_broken_files(tmp_path):
    root = make_publication(tmp_path / "pub", GOOD_PROJECT + "remark: 备注\n")
    bad = root / "353" / "353101" / "bad.yaml"
    bad.write_text("name: [\n", encoding="utf-8")
    r = ptgen(tmp_path, "fmt", root)
    assert "remark: 备注" in (root / "353" / "353101" / "p.yaml").read_text(encoding="utf-8")
    assert r.returncode == 1 and "Y001" in r.stderr and bad.read_text(encoding="utf-8") == "name: [\n"


def test_imported_content_is_already_canonical():
    r = ptgen(ROOT, "fmt", "--check", CONTENT)
    assert r.returncode == 0, r.stdout


# --- schema and new ------------------------------------------------------------------------------

def _validator(kind: str):
    import jsonschema
    return jsonschema.Draft202012Validator(json.loads(ptgen(ROOT, "schema", "--kind", kind).stdout))


def test_schema_accepts_every_example_file_and_rejects_broken_ones_with_a_path():
    kinds = {"ptgen.yaml": "publication", "department.yaml": "department", "unit.yaml": "unit"}
    validators = {k: _validator(k) for k in ("project", "publication", "department", "unit")}
    files = sorted(CONTENT.rglob("*.yaml"))
    assert len(files) > 30
    for f in files:
        data = yaml.load(f.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # as ptgen reads: all text
        errors = list(validators[kinds.get(f.name, "project")].iter_errors(data))
        assert not errors, (f, errors[0].message)
    broken = yaml.load(GOOD_PROJECT, Loader=yaml.BaseLoader)
    broken["indicators"][1]["level1"] = "产出"
    broken["budget"]["total"] = "100万元"
    del broken["bookmark"]
    errors = {tuple(e.absolute_path): e.message for e in validators["project"].iter_errors(broken)}
    assert ("indicators", 1, "level1") in errors and ("budget", "total") in errors
    assert any("bookmark" in m for m in errors.values())
    schema = json.loads(ptgen(ROOT, "schema").stdout)
    assert schema["properties"]["name"]["title"] == "项目名称"


def test_committed_schemas_are_current():
    for kind in ("project", "unit", "department", "publication"):
        committed = (ROOT / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8")
        assert committed == ptgen(ROOT, "schema", "--kind", kind).stdout, f"run: ptgen schema --kind {kind} -o schemas/{kind}.schema.json --force"


def test_new_project_and_agency(tmp_path):
    root = make_publication(tmp_path / "repo" / "content" / "pub")
    shutil.copytree(ROOT / "schemas", tmp_path / "repo" / "schemas")
    r = ptgen(tmp_path, "new", "project", root / "353" / "353101", "--name", "新项目")
    assert r.returncode == 0, r.stderr
    new = root / "353" / "353101" / "新项目.yaml"
    text = new.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../../../../schemas/project.schema.json\n")
    assert "bookmark: _Toc_4_4_0000000005" in text  # the next free number after _0000000004
    assert "新项目.yaml" in (root / "353" / "353101" / "unit.yaml").read_text(encoding="utf-8")
    check = json.loads(ptgen(tmp_path, "check", root, "--format", "json").stdout)
    assert not [i for i in check if i["code"].startswith(("Y", "F"))]  # the right shape, listed
    r = ptgen(tmp_path, "new", "agency", root / "353", "--code", "353102", "--name", "新单位")
    assert r.returncode == 0 and (root / "353" / "353102" / "unit.yaml").exists()
    assert '"353102"' in (root / "353" / "department.yaml").read_text(encoding="utf-8")
    again = ptgen(tmp_path, "new", "agency", root / "353", "--code", "353102", "--name", "新单位")
    assert again.returncode == 1 and "已经存在" in again.stderr


def test_shipped_ci_files_run_real_commands():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {h["id"]: h["entry"] for h in hooks} == {"ptgen-fmt": "ptgen fmt", "ptgen-check": "ptgen check content"}
    flow = yaml.safe_load((ROOT / "examples" / "github-workflow.yml").read_text(encoding="utf-8"))
    steps = " ".join(step.get("run", "") for step in flow["jobs"]["publication"]["steps"])
    for command in ("ptgen check content --format github", "ptgen build content", "--format markdown", "fetch-depth"):
        assert command in steps or command in (ROOT / "examples" / "github-workflow.yml").read_text(encoding="utf-8")


def test_a_redline_of_a_path_without_publications_is_a_clear_error(tmp_path):
    """``diff --format docx`` where neither revision has a publication: a message, not an IndexError."""
    import subprocess
    import sys
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("x", encoding="utf-8")
    subprocess.run(["git", "-C", str(tmp_path), "add", "."], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
                   check=True)
    r = subprocess.run([sys.executable, "-m", "ptgen", "diff", "HEAD", "HEAD", "--path", "notes", "--format", "docx",
                        "--output", str(tmp_path / "x.docx")], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert r.returncode == 1 and "没有出版物" in r.stderr and "内部错误" not in r.stderr, r.stderr

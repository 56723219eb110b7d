"""``ptgen rollover``: next year's publication from this year's, with a report of every change."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import CONTENT, ROOT
from ptgen import api
from ptgen.load import load
from ptgen.rollover import LEAVE, SHIFT, classify

GOLDEN = ROOT / "tests" / "golden" / "rollover-tianjin-2026.md"


def ptgen(cwd: Path, *args):
    return subprocess.run([sys.executable, "-m", "ptgen", *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def tianjin(tmp_path) -> Path:
    shutil.copytree(CONTENT / "tianjin-2025", tmp_path / "tianjin-2025")
    return tmp_path


def _rows(markdown: str, heading: str) -> list[list[str]]:
    """The table rows under ``heading`` in the report, cells unescaped."""
    part = markdown.split(heading, 1)[1].split("\n#### ", 1)[0]
    rows = [line for line in part.splitlines() if line.startswith("| `")]
    return [[c.strip().strip("`").replace("\\", "") for c in re.split(r"(?<!\\)\|", r)[1:-1]] for r in rows]


def test_tianjin_2025_rolls_over_to_2026_and_the_report_is_checked_line_by_line(tianjin):
    r = ptgen(tianjin, "rollover", "tianjin-2025", "tianjin-2026", "--year", "2026", "--report", "r.md")
    assert r.returncode == 0, r.stderr
    report = (tianjin / "r.md").read_text(encoding="utf-8")
    golden = GOLDEN.read_text(encoding="utf-8").splitlines()
    for n, (got, want) in enumerate(zip(report.splitlines(), golden), 1):
        assert got == want, f"line {n}"
    assert len(report.splitlines()) == len(golden)
    # The golden report is true of the files: every line that changed is listed, with its old and
    # new text, and no other line of any file changed.
    old_root, new_root = tianjin / "tianjin-2025", tianjin / "tianjin-2026"
    changes = _rows(report, "#### 改动")
    assert len(changes) == 69
    listed: dict[str, set[int]] = {}
    for where, _field, old, new in changes:
        rel, line = where.rsplit(":", 1)
        rel = rel.split("/", 1)[1]
        listed.setdefault(rel, set()).add(int(line))
        new_line = (new_root / rel).read_text(encoding="utf-8").splitlines()[int(line) - 1]
        old_line = (old_root / rel).read_text(encoding="utf-8").splitlines()[int(line) - 1]
        assert new.strip("…") in new_line and old.strip("…") in old_line, where
    files = sorted(p.relative_to(old_root).as_posix() for p in old_root.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(new_root).as_posix() for p in new_root.rglob("*") if p.is_file())
    for rel in files:
        old, new = ((root / rel).read_text(encoding="utf-8").splitlines() for root in (old_root, new_root))
        assert len(old) == len(new)  # same shape: comments, quoting and layout untouched
        assert {i + 1 for i, (a, b) in enumerate(zip(old, new)) if a != b} == listed.get(rel, set()), rel
    # what is left for a person: years in names, a document number, the phases
    left = _rows(report, "#### 请人工核对")
    reasons = {(w.rsplit("/", 1)[-1], f, t): why for w, f, t, why in left}
    assert reasons[("就业创业服务补助-01中央直达资金-就业补助资金.yaml:12", "绩效目标", "…见》（津政办规[2020]7号），鼓励就业服务机…")] \
        == "文件编号里的年份"
    assert reasons[("2025年一般债券利息.yaml:2", "项目名称", "2025年一般债券利息")].startswith("名称里的年份")
    assert reasons[("鉴定中心12333云平台（五期）服务项目.yaml:2", "项目名称", "…12333云平台（五期）服务项目")] \
        == "项目期次：下一年度可能是下一期"
    assert len(left) == 15
    # the terminal shows the same rows
    for where, field, old, new in changes:
        assert f"{where}  {field}：{old} → {new}" in r.stdout
    # the new publication: the same projects, identities, order and amounts, in 2026
    new_pub, _ = load(new_root)
    old_pub, _ = load(old_root)
    assert new_pub.settings.year == 2026 and "2026年部门预算" in new_pub.settings.title
    pairs = list(zip(old_pub.projects(), new_pub.projects()))
    assert len(pairs) == 29
    for (_, _, a), (_, _, b) in pairs:
        assert (a.project.id, a.project.bookmark, a.project.name, a.project.budget) == \
            (b.project.id, b.project.bookmark, b.project.name, b.project.budget)
    # and check finds no year of 2025 left where one means the budget year
    before = api.check(old_root).report
    after = api.check(new_root).report
    assert sorted(i.code for i in after.issues) == sorted(i.code for i in before.issues)


@pytest.mark.parametrize("text,expected", [
    ("2025年12月31日前", [(SHIFT, "2026")]),
    ("完成2025年度任务", [(SHIFT, "2026")]),
    ("服务周期2025.07-2026.01", [(SHIFT, "2026"), (SHIFT, "2027")]),
    ("2025-12-31", [(SHIFT, "2026")]),
    ("依据津人社规〔2019〕3号", [(LEAVE, "文件编号里的年份")]),
    ("依据津人社规〔2025〕3号", [(LEAVE, "文件编号里的年份")]),
    ("2024年底已完成一期", [(LEAVE, "不是预算年度的年份（可能是历史、政策或规划年份）")]),
    ("承办2025世界技能大赛", [(LEAVE, "年份后面不是“年”或日期（可能是活动、届次或名称的一部分）")]),
    ("2019-2021", [(LEAVE, "跨年度的期间（多年项目的起止年份）")]),
    ("≥2000.00(人次)", []),
    ("《关于下达2025年度资金的通知》", [(LEAVE, "文件名称（《》）里的年份")]),
    ("2026年完成验收", [(LEAVE, "预算年度的下一年（不在从本年度开始的期间里）")]),
])
def test_which_years_are_the_budget_year(text, expected):
    assert [(what, x) for _, _, what, x in classify(text, 2025, 1)] == expected


def test_comments_are_kept_amounts_emptied_bookmarks_renamed_with_flags(tianjin):
    src = tianjin / "tianjin-2025" / "353" / "353216" / "鉴定中心12333云平台（五期）服务项目.yaml"
    src.write_text(src.read_text(encoding="utf-8").replace("budget:", "budget:  # 去年的预算，按批复填写", 1),
                   encoding="utf-8")
    (tianjin / "tianjin-2025" / "说明.txt").write_text("出版物的说明", encoding="utf-8")
    r = ptgen(tianjin, "rollover", "tianjin-2025", "tianjin-2026", "--empty-amounts", "--bookmarks", "new")
    assert r.returncode == 0, r.stderr
    assert (tianjin / "tianjin-2026" / "说明.txt").read_text(encoding="utf-8") == "出版物的说明"  # carried over as it is
    assert "34 个内容文件，另复制 1 个文件。" in r.stdout
    new = tianjin / "tianjin-2026" / "353" / "353216" / src.name
    text = new.read_text(encoding="utf-8")
    assert "budget:  # 去年的预算，按批复填写\n  total: \"\"\n  fiscal: \"\"\n  other: \"\"\n" in text
    assert f"tianjin-2026/353/353216/{src.name}:6  预算数：154.00 → （空）" in r.stdout
    pub, _ = load(tianjin / "tianjin-2026")
    names = [d.project.bookmark for _, _, d in pub.projects()]
    assert names == [f"_Toc_4_4_{n:010d}" for n in range(1, 30)]  # the publication's scheme, in order
    renamed = next(d.project.bookmark for _, _, d in pub.projects() if d.source.path.name == src.name)
    assert f"tianjin-2026/353/353216/{src.name}:3  书签名：_Toc_4_4_0000000105 → {renamed}" in r.stdout
    assert all(d.project.budget.total is None for _, _, d in pub.projects())


def test_nothing_is_written_over_without_force(tianjin):
    (tianjin / "tianjin-2026").mkdir()
    (tianjin / "tianjin-2026" / "notes.txt").write_text("mine", encoding="utf-8")
    r = ptgen(tianjin, "rollover", "tianjin-2025", "tianjin-2026")
    assert r.returncode == 1 and "已经存在" in r.stderr and "Traceback" not in r.stderr
    assert [p.name for p in (tianjin / "tianjin-2026").iterdir()] == ["notes.txt"]
    (tianjin / "r.md").write_text("old", encoding="utf-8")
    r = ptgen(tianjin, "rollover", "tianjin-2025", "elsewhere", "--report", "r.md")
    assert r.returncode == 2 and not (tianjin / "elsewhere").exists()
    assert (tianjin / "r.md").read_text(encoding="utf-8") == "old"
    r = ptgen(tianjin, "rollover", "tianjin-2025", "tianjin-2026", "--force")
    assert r.returncode == 0, r.stderr
    assert (tianjin / "tianjin-2026" / "ptgen.yaml").is_file()
    assert (tianjin / "tianjin-2026" / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert "notes.txt 是" in r.stdout
    r = ptgen(tianjin, "rollover", "tianjin-2025", "tianjin-2025/x")
    assert r.returncode == 2


def test_check_flags_a_year_a_person_missed(tianjin):
    assert ptgen(tianjin, "rollover", "tianjin-2025", "tianjin-2026").returncode == 0
    f = tianjin / "tianjin-2026" / "353" / "353216" / "鉴定中心12333云平台（五期）服务项目.yaml"
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace("2.完成2026年度12333云平台", "2.完成2025年度12333云平台"), encoding="utf-8")
    line = next(n for n, l in enumerate(f.read_text(encoding="utf-8").splitlines(), 1) if "2025年度" in l)
    r = ptgen(tianjin, "check", "tianjin-2026", "--select", "N01", "--format", "json")
    import json
    found = json.loads(r.stdout)
    assert [(i["code"], i["line"]) for i in found] == [("N01", line)]
    assert "“…2025年度12333云…”是上一年度（2025 年）的写法，预算年度是 2026 年" in found[0]["message"]


def test_a_project_without_identity_gets_one_and_duplicates_are_reported(tianjin):
    src = tianjin / "tianjin-2025" / "353" / "353216" / "鉴定中心12333云平台（五期）服务项目.yaml"
    text = src.read_text(encoding="utf-8")
    src.write_text(re.sub(r"\nid: .*", "", text), encoding="utf-8")
    r = ptgen(tianjin, "rollover", "tianjin-2025", "tianjin-2026")
    assert r.returncode == 0, r.stderr
    new = (tianjin / "tianjin-2026" / "353" / "353216" / src.name).read_text(encoding="utf-8")
    ident = re.search(r"\nid: (\S+)\n", new)[1]
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", ident)
    assert f"{src.name}:4  项目标识：（无） → {ident}" in r.stdout
    # a copied file keeps the identity it was copied with: check says so (I01)
    other = tianjin / "tianjin-2026" / "353" / "353216" / "技能人才评价培养服务管理经费.yaml"
    other.write_text(re.sub(r"\nid: .*", f"\nid: {ident}", other.read_text(encoding="utf-8")), encoding="utf-8")
    r = ptgen(tianjin, "check", "tianjin-2026", "--select", "I01")
    assert r.returncode == 1 and "I01" in r.stdout and f"项目标识 {ident} 已被" in r.stdout


def test_new_project_gets_an_identity_unique_in_its_publication(tmp_path):
    from helpers import make_publication
    root = make_publication(tmp_path / "pub")
    r = ptgen(tmp_path, "new", "project", root / "353" / "353101", "--name", "新的项目")
    assert r.returncode == 0, r.stderr
    pub, _ = load(root)
    made = [d.project.id for _, _, d in pub.projects() if d.project.name == "新的项目"]
    assert made and re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", made[0])
    assert not [i for i in api.check(root).report.issues if i.code == "I01"]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_diff_of_2025_and_2026_after_edits_and_a_rename(tianjin):
    """Two publications, not two revisions: projects matched by identity (the bookmarks were renamed),
    a renamed project and file is the same project, the year moved on is no change."""
    import json
    assert ptgen(tianjin, "rollover", "tianjin-2025", "tianjin-2026", "--bookmarks", "new").returncode == 0
    unit = tianjin / "tianjin-2026" / "353" / "353216"
    old_file, new_file = "鉴定中心12333云平台（五期）服务项目.yaml", "鉴定中心12333云平台（六期）服务项目.yaml"
    (unit / old_file).rename(unit / new_file)
    _edit(unit / "unit.yaml", old_file, new_file)
    _edit(unit / new_file, "name: 鉴定中心12333云平台（五期）服务项目", "name: 鉴定中心12333云平台（六期）服务项目")
    _edit(unit / new_file, 'total: "154.00"\n  fiscal: "154.00"', 'total: "180.50"\n  fiscal: "180.50"')
    other = unit / "技能人才评价培养服务管理经费.yaml"
    _edit(other, "value: ≥410场", "value: ≥450场")
    _edit(other, "value: ≥7项数", "value: ≥8项")
    _edit(other, "    name: 印制技能竞赛证书数量\n", "    name: 印制职业技能等级证书数量\n")  # one row out, one in
    unit101 = tianjin / "tianjin-2026" / "353" / "353101"
    _edit(unit101 / "unit.yaml", "  - 2025年一般债券利息.yaml\n", "")
    (unit101 / "2025年一般债券利息.yaml").unlink()
    r = ptgen(tianjin, "new", "project", unit, "--name", "技能竞赛新项目")
    assert r.returncode == 0, r.stderr

    r = ptgen(tianjin, "diff", "tianjin-2025", "tianjin-2026", "--format", "json")
    assert r.returncode == 0, r.stderr  # bookmarks of another publication are not anchors
    d = json.loads(r.stdout)
    assert d["summary"] == {"added": 1, "removed": 1, "changed": 2}
    assert d["anchor_problems"] == []
    [pub] = d["publications"]
    assert pub["name"] == "tianjin-2025（2025）→ tianjin-2026（2026）"
    by_name = {c["name"]: c for c in pub["projects"]}
    renamed = by_name["鉴定中心12333云平台（六期）服务项目"]
    assert renamed["status"] == "changed" and renamed["old_name"] == "鉴定中心12333云平台（五期）服务项目"
    assert renamed["old_file"] == f"353/353216/{old_file}" and renamed["file"] == f"353/353216/{new_file}"
    assert [(b["label"], b["old"], b["new"], b["delta"]) for b in renamed["budget"]] == \
        [("预算数", "154.00", "180.50", "+26.50"), ("财政资金", "154.00", "180.50", "+26.50")]
    assert renamed["indicators"] == [] and renamed["fields"] == []  # 2025年度 → 2026年度 in its goals is no change
    changed = by_name["技能人才评价培养服务管理经费"]
    assert [(i["status"], i["name"], [(c["old"], c["new"]) for c in i["changes"]]) for i in changed["indicators"]] == [
        ("changed", "开展技能人才评价考核质量督导（现场督导和专项督导）场次", [("≥410场", "≥450场")]),
        ("changed", "提供职业技能等级认定监管信息化服务项数", [("≥7项数", "≥8项")]),
        ("added", "印制职业技能等级证书数量", []), ("removed", "印制技能竞赛证书数量", [])]
    assert by_name["2025年一般债券利息"]["status"] == "removed"
    assert by_name["技能竞赛新项目"]["status"] == "added" and by_name["技能竞赛新项目"]["id"]
    totals = {t["name"]: (t["old"]["total"], t["new"]["total"], t["delta"]["total"]) for t in pub["totals"]}
    assert totals["天津市人力资源和社会保障局/天津市职业技能鉴定指导中心（天津市职业技能培训研究室）"] == \
        ("204.00", "230.50", "+26.50")
    assert totals["天津市人力资源和社会保障局"][2] == "+26.38"  # 26.50 more, 0.12 of bond interest gone
    # terminal and Markdown say the same
    r = ptgen(tianjin, "diff", "tianjin-2025", "tianjin-2026")
    assert r.returncode == 0, r.stderr
    assert "鉴定中心12333云平台（六期）服务项目（改名、文件改名）" in r.stdout
    assert "预算数：154.00 → 180.50（+26.50）" in r.stdout and "指标 数量指标/开展技能人才评价考核质量督导" in r.stdout
    assert "+ 指标 数量指标/印制职业技能等级证书数量" in r.stdout and "- 指标 数量指标/印制技能竞赛证书数量" in r.stdout
    md = ptgen(tianjin, "diff", "tianjin-2025", "tianjin-2026", "--format", "markdown").stdout
    assert "| 预算数 | 154.00 | 180.50 | +26.50 |" in md and "<b>删除</b>" in md and "<b>新增</b>" in md
    # a folder and a revision do not mix; a redline is for revisions
    r = ptgen(tianjin, "diff", "tianjin-2025", "HEAD")
    assert r.returncode == 2 and "两个出版物文件夹" in r.stderr
    r = ptgen(tianjin, "diff", "tianjin-2025", "tianjin-2026", "--format", "docx", "--output", "x.docx")
    assert r.returncode == 2 and not (tianjin / "x.docx").exists()


def test_rollover_killed_while_writing_leaves_no_publication(tianjin):
    import signal

    from test_import_safety import killed_ptgen
    r = killed_ptgen("fsync", 5, "rollover", tianjin / "tianjin-2025", tianjin / "tianjin-2026")
    assert r.returncode == -signal.SIGKILL, r.stderr
    assert not (tianjin / "tianjin-2026").exists()
    r = ptgen(tianjin, "rollover", "tianjin-2025", "tianjin-2026")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in tianjin.iterdir()) == ["tianjin-2025", "tianjin-2026"]  # the half-written copy is gone


def test_rollover_of_content_that_cannot_be_read_writes_nothing(tianjin):
    f = tianjin / "tianjin-2025" / "353" / "353216" / "技能人才评价培养服务管理经费.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("name: 技能人才评价培养服务管理经费", "name：技能人才评价培养服务管理经费"),
                 encoding="utf-8")
    r = ptgen(tianjin, "rollover", "tianjin-2025", "tianjin-2026")
    assert r.returncode == 1 and "Y001" in r.stderr and "技能人才评价培养服务管理经费.yaml:2" in r.stderr
    assert "Traceback" not in r.stderr and not (tianjin / "tianjin-2026").exists()


def test_check_flags_last_years_title(tianjin):
    assert ptgen(tianjin, "rollover", "tianjin-2025", "tianjin-2026").returncode == 0
    _edit(tianjin / "tianjin-2026" / "ptgen.yaml", "2026年部门预算", "2025年部门预算")
    r = ptgen(tianjin, "check", "tianjin-2026", "--select", "N01")
    assert "2:8  N01 警告  出版物标题里的“…2025年部门预算 项目…”是上一年度（2025 年）的写法" in r.stdout, r.stdout


def test_a_year_written_with_an_escape_is_refused_not_miswritten(tianjin):
    f = tianjin / "tianjin-2025" / "353" / "353101" / "2025年一般债券利息.yaml"
    _edit(f, "value: 2025年12月31日前", 'value: "\\u0032025年12月31日前"')  # the same value, typed oddly
    assert load(tianjin / "tianjin-2025")[0] is not None
    r = ptgen(tianjin, "rollover", "tianjin-2025", "tianjin-2026")
    assert r.returncode == 1 and "2025年一般债券利息.yaml:26" in r.stderr and "转义" in r.stderr, r.stderr
    assert not (tianjin / "tianjin-2026").exists()


def test_a_file_with_windows_line_breaks_keeps_them(tianjin):
    f = tianjin / "tianjin-2025" / "353" / "353101" / "2025年一般债券利息.yaml"
    text = re.sub(r"\nid: .*", "", f.read_text(encoding="utf-8"))
    f.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    r = ptgen(tianjin, "rollover", "tianjin-2025", "tianjin-2026")
    assert r.returncode == 0, r.stderr
    data = (tianjin / "tianjin-2026" / "353" / "353101" / f.name).read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n") == text.count("\n") + 1  # the identity's line too
    assert b"\r\nid: " in data and "2026年12月31日前".encode() in data

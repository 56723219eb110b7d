"""How `ptgen check` names files and quotes text: GitHub annotations, job summary, JSON, human output."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from helpers import CONTENT, GOOD_PROJECT, make_publication

from ptgen.cli import report_markdown
from ptgen.report import Issue, Report, Severity

BAD = GOOD_PROJECT.replace('fiscal: "100.00"', 'fiscal: "90.00"')  # B01 on line 4


def ptgen(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "ptgen", *map(str, args)], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env={**os.environ, **(env or {})})


def git_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    make_publication(repo / "content" / "pub", project=BAD)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


def test_github_files_are_relative_to_the_repository_root_wherever_ptgen_runs(tmp_path):
    repo = git_repo(tmp_path)
    want = "::error file=content/pub/353/353101/p.yaml,line=4,col=10,title=B01::"
    assert ptgen("check", "content", "-f", "github", cwd=repo).stdout.startswith(want)
    assert ptgen("check", "pub", "-f", "github", cwd=repo / "content").stdout.startswith(want)
    assert ptgen("check", repo / "content" / "pub", "-f", "github", cwd=tmp_path).stdout.startswith(want)


def test_github_files_outside_git_are_relative_to_the_current_folder(tmp_path):
    make_publication(tmp_path / "c" / "pub", project=BAD)
    r = ptgen("check", "c", "-f", "github", cwd=tmp_path)
    assert r.stdout.startswith("::error file=c/pub/353/353101/p.yaml,line=4,")


def test_json_and_human_files_are_relative_to_the_current_folder(tmp_path):
    repo = git_repo(tmp_path)
    [issue] = json.loads(ptgen("check", "pub", "-f", "json", cwd=repo / "content").stdout)
    assert issue["file"] == "pub/353/353101/p.yaml"
    [issue] = json.loads(ptgen("check", "content/pub", "-f", "json", cwd=repo).stdout)
    assert issue["file"] == "content/pub/353/353101/p.yaml"
    [issue] = json.loads(ptgen("check", "..", "-f", "json", cwd=repo / "content" / "pub" / "353").stdout)
    assert issue["file"] == "353101/p.yaml"
    r = ptgen("check", "content", cwd=repo)
    assert "\ncontent/pub/353/353101/p.yaml\n" in r.stdout


def test_annotation_properties_and_message_are_escaped(tmp_path):
    project = GOOD_PROJECT.replace("≥99%\n  - level1: 产出指标\n    level2: 时效指标", "≥120%\n  - level1: 产出指标\n    level2: 时效指标")
    root = make_publication(tmp_path / "pub", project=project, extra={
        "353/353101/unit.yaml": 'code: "353101"\nname: 测试单位\nprojects:\n  - "p,1:2.yaml"\n',
        "353/353101/p,1:2.yaml": project})
    (root / "353/353101/p.yaml").unlink()
    r = ptgen("check", "pub", "-f", "github", cwd=tmp_path)
    [line] = [x for x in r.stdout.splitlines() if "V01" in x]
    assert line.startswith("::error file=pub/353/353101/p%2C1%3A2.yaml,line=")
    message = line.split("::", 2)[2]
    assert "%25" in message and "%" not in message.replace("%25", "")


def test_infos_go_to_the_summary_not_to_annotations(tmp_path):
    summary = tmp_path / "summary.md"
    r = ptgen("check", CONTENT, "-f", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert r.returncode == 1
    kinds = {line.split(" ", 1)[0] for line in r.stdout.splitlines()}
    assert kinds == {"::error", "::warning"}
    assert len(r.stdout.splitlines()) == 12 + 105
    text = summary.read_text(encoding="utf-8")
    infos = int(text.splitlines()[0].split("，")[-1].split(" ")[0])
    assert infos > 0 and f"<details><summary>{infos} 个提示</summary>" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line and "| 文件 |" not in line]
    assert len(rows) == 12 + 105 + infos
    assert "| content/tianjin-2025/353/" in text  # relative to the repository root, as the annotations


def test_summary_cells_escape_html_and_pipes(tmp_path):
    summary = tmp_path / "summary.md"
    ptgen("check", CONTENT, "-f", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    text = summary.read_text(encoding="utf-8")
    [row] = [line for line in text.splitlines() if "| X07 |" in line]
    assert "&lt;p&gt;" in row and "<p>" not in row
    issue = Issue("a|b.yaml", 3, 1, "X07", Severity.ERROR, "标记“<b>|</b>”\n第二行")
    [row] = [line for line in report_markdown(Report([issue])).splitlines() if "X07" in line]
    assert row == "| a&#124;b.yaml | 3 | X07 | 错误 | 标记“&lt;b&gt;&#124;&lt;/b&gt;”<br>第二行 |"
    assert len(row.split(" | ")) == 5


def test_unknown_rule_codes_in_select_or_ignore_are_usage_errors(tmp_path):
    root = make_publication(tmp_path / "pub", project=BAD)
    for option in ("--select", "--ignore"):
        r = ptgen("check", root, option, "B,V99")
        assert r.returncode == 2, (option, r.stdout, r.stderr)
        assert "V99" in r.stderr and "B01" in r.stderr and "X08" in r.stderr and "Traceback" not in r.stderr
    assert ptgen("check", root, "--select", "b0").returncode == 1  # a known prefix, any case
    assert ptgen("check", root, "--select", "A").returncode == 0  # A01 (with --against), as the example workflow uses
    r = ptgen("check", tmp_path / "nowhere")
    assert r.returncode == 2 and "nowhere" in r.stderr


def test_file_problem_codes_in_select_or_ignore_are_explained_not_called_missing(tmp_path):
    """F002 or Y001 are printed by check, so "the rule code F002 does not exist" would be false:
    they are problems reading the files, always reported, never selected or ignored."""
    root = make_publication(tmp_path / "pub", project=BAD)
    for option, codes in (("--ignore", "F002"), ("--select", "Y001,B01"), ("--ignore", "F")):
        r = ptgen("check", root, option, codes)
        assert r.returncode == 2, (option, r.stdout, r.stderr)
        assert "不存在" not in r.stderr and "读取文件" in r.stderr and codes.split(",")[0] in r.stderr, r.stderr


LONG = "用于支付金保二期系统企业变更注销一件事流程升级改造项目利息，以及相关的运行维护和咨询服务等各项费用支出"


def test_x01_quotes_the_end_when_the_space_is_at_the_end(tmp_path):
    root = make_publication(tmp_path / "pub", project=GOOD_PROJECT.replace(
        "purpose: 用于信息系统运行维护", f'purpose: "{LONG}  "'))
    [issue] = [i for i in json.loads(ptgen("check", root, "-f", "json").stdout) if i["code"] == "X01"]
    assert "结尾" in issue["message"] and "咨询服务等各项费用支出”的结尾" in issue["message"]
    assert LONG[:10] not in issue["message"]
    root = make_publication(tmp_path / "pub2", project=GOOD_PROJECT.replace(
        "purpose: 用于信息系统运行维护", f'purpose: "  {LONG}"'))
    [issue] = [i for i in json.loads(ptgen("check", root, "-f", "json").stdout) if i["code"] == "X01"]
    assert f"“{LONG[:10]}" in issue["message"] and "开头" in issue["message"]


def test_human_excerpts_stay_on_one_line_and_show_where_it_matters(tmp_path):
    goals = "goals: |+\n  " + "\n  ".join([LONG, LONG + "。", "3.最后一行写完了"]) + "\n\n"
    root = make_publication(tmp_path / "pub", project=GOOD_PROJECT.replace("goals: |\n  1.保障系统稳定运行。\n", goals))
    r = ptgen("check", root)
    [line] = [x for x in r.stdout.splitlines() if "X01" in x]
    quote = line.split("←", 1)[1]
    assert "⏎" in quote and quote.endswith("最后一行写完了⏎”") and "…" in quote
    assert len(quote) < 50
    issue = Issue("f.yaml", 1, 1, "X03", Severity.ERROR, "“第二行”有问题。", "第一行\n第二行" + "很长" * 40)
    from ptgen.cli import _excerpt_for
    assert _excerpt_for(issue).startswith("第一行⏎第二行")


def committed_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    make_publication(repo / "content" / "pub")
    for args in (["init", "-q"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "c"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True)
    return repo


def test_environment_problems_are_chinese_sentences_not_internal_errors(tmp_path):
    repo = committed_repo(tmp_path)
    (tmp_path / "afile").write_text("x")
    r = ptgen("diff", "HEAD", "--format", "markdown", "--output", tmp_path / "afile" / "d.md", cwd=repo)
    assert r.returncode == 1, r.stderr
    assert "内部错误" not in r.stderr and "Error" not in r.stderr and "afile" in r.stderr
    assert "已经存在" in r.stderr or "文件夹" in r.stderr
    (tmp_path / "folder").mkdir()
    for force in ([], ["--force"]):
        r = ptgen("diff", "HEAD", "--format", "markdown", "--output", tmp_path / "folder", *force, cwd=repo)
        # an environment problem (issue 10), exit 1 as for schema --output (not a usage mistake)
        assert r.returncode == 1 and "是一个文件夹" in r.stderr and "内部错误" not in r.stderr, r.stderr
    assert list((tmp_path / "folder").iterdir()) == []


def test_diff_output_with_the_terminal_format_is_a_usage_error_not_ignored(tmp_path):
    """The terminal format printed to the terminal and left no --output file, exit 0: silently."""
    repo = committed_repo(tmp_path)
    r = ptgen("diff", "HEAD", "--output", tmp_path / "d.txt", cwd=repo)
    assert r.returncode == 2 and "--output" in r.stderr and "markdown" in r.stderr, r.stdout + r.stderr
    assert not (tmp_path / "d.txt").exists()


def test_each_os_error_gets_its_own_sentence_naming_the_path():
    import errno

    from ptgen.output import describe_os_error
    seen = set()
    for code in ("EACCES", "EPERM", "EROFS", "ENOSPC", "EDQUOT", "EISDIR", "ENOTDIR", "EEXIST", "ENOENT"):
        n = getattr(errno, code)
        text = describe_os_error(OSError(n, os.strerror(n), "/data/build/x.docx"))
        assert "/data/build/x.docx" in text and os.strerror(n) not in text, text
        seen.add(text)
    assert len(seen) == 9
    # ptgen's temporary file is not what the user asked for: the message names the target
    text = describe_os_error(OSError(errno.ENOSPC, "No space", "/data/.x.docx.0123456789ab.ptgen.tmp"))
    assert "/data/x.docx" in text and "ptgen.tmp" not in text


def test_human_excerpt_centres_on_the_control_character_and_shows_it(tmp_path):
    root = make_publication(tmp_path / "pub", project=GOOD_PROJECT.replace(
        "purpose: 用于信息系统运行维护", f'purpose: "{LONG}\\a{LONG}"'))
    r = ptgen("check", root)
    [line] = [x for x in r.stdout.splitlines() if "X08" in x]
    quote = line.split("←", 1)[1]
    assert "\u2407" in quote and quote.count("…") == 2 and len(quote) < 50, quote


def test_human_excerpts_show_del_and_c1_controls_and_keep_unicode_line_breaks_on_one_line(tmp_path):
    """DEL and the C1 controls (U+0080–U+009F: NEL is a line break, CSI starts a terminal escape) are
    X08 like the others: the excerpt shows each visibly instead of printing it raw."""
    root = make_publication(tmp_path / "pub", project=GOOD_PROJECT.replace(
        "purpose: 用于信息系统运行维护", 'purpose: "甲\\x7f乙\\x85丙\\x9b丁"'))
    r = ptgen("check", root, env={"COLUMNS": "300"})
    lines = [x for x in r.stdout.splitlines() if "X08" in x]
    assert len(lines) == 3, r.stdout
    for line in lines:
        assert not any("\x7f" <= c <= "\x9f" for c in line), ascii(line)
        quote = line.split("←", 1)[1]
        assert "甲␡乙[U+0085]丙[U+009B]丁" in quote, quote
    from ptgen.report import excerpt
    assert excerpt("一\u2028二\u2029三\x85四") == "一⏎二⏎三[U+0085]四"

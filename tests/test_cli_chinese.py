"""Every word the command line shows is Chinese: help, usage lines and usage errors of every command."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from ptgen.cli import app

COMMANDS = ["check", "import", "build", "fmt", "schema", "new", "diff", "rules"]
# What typer and click say in English (and a run of three English words: a sentence, not a name).
ENGLISH = re.compile(r"Usage|Options|Arguments|Commands|Show this|No such|Invalid|Missing|Got unexpected|Error|"
                     r"\bTry\b|default|required|Choose from|Did you mean|Possible|is not one of|Value error|Abort|"
                     r"OPTIONS|COMMAND|ARGS|requires|does not take|<(?:str|path|int|text)>|"
                     r"\b[A-Za-z][a-z]+ [a-z]{2,} [a-z]{2,}\b")


def run(*args):
    result = CliRunner().invoke(app, list(args), prog_name="ptgen")
    return result.exit_code, result.output  # stdout and stderr, as a terminal shows them


def english(text: str) -> list[str]:
    return ENGLISH.findall(text)


@pytest.mark.parametrize("args", [["--help"], []] + [[c, "--help"] for c in COMMANDS])
def test_help_is_chinese(args):
    code, text = run(*args)
    assert "用法：ptgen" in text and "显示本帮助并退出" in text
    assert not english(text), (english(text), text)


@pytest.mark.parametrize("args, code, words", [
    (["foo"], 2, "没有命令“foo”"),
    (["chek"], 2, "你是不是要用 'check'"),
    (["check", "--format", "x"], 2, "可选：human、json、github"),
    (["check", "--forma", "x"], 2, "没有选项 --forma"),
    (["check", "--format"], 2, "后面需要一个值"),
    (["check", "a", "b"], 2, "多了参数（b）"),
    (["new", "project", "x"], 2, "缺少选项 '--name'"),
    (["new"], 2, "缺少参数 'kind'"),
    (["build", "--strict=x"], 2, "选项 --strict 不接受值"),
    (["diff", "--format", "pdf"], 2, "可选：terminal、markdown、json、docx"),
    (["rules", "extra"], 2, "多了参数"),
] + [([c, "--no-such-option"], 2, "没有选项 --no-such-option") for c in COMMANDS])
def test_usage_errors_are_chinese(args, code, words):
    got, text = run(*args)
    assert got == code, text
    assert words in text and "错误：" in text, text
    if "--format" not in args[-1:] and "--strict=x" not in args:  # option-parser errors come without the usage line
        assert "用法：ptgen" in text and "查看帮助" in text, text
    assert not english(text), (english(text), text)


def test_the_installed_command_speaks_chinese_too():
    r = subprocess.run([sys.executable, "-m", "ptgen", "build", "--format"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "错误：选项 --format 后面需要一个值。" in r.stderr and not english(r.stderr), r.stderr
    r = subprocess.run([sys.executable, "-m", "ptgen", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("用法：ptgen [选项] 命令 [参数]...") and not english(r.stdout)

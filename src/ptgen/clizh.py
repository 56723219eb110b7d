"""The command line's own words in Chinese: help headings, usage lines and usage errors.

ptgen's help texts are Chinese, but typer (which bundles its own copy of click) writes the rest in
English — "Usage:", "Options", "Show this message and exit.", "Error: Missing option …". typer's
own module (``typer.core``) looks its words up with :func:`gettext.gettext`, so it gets a gettext
translation (:class:`Chinese`); the bundled click has its words written into the code, so its help
text, usage line and error messages are passed through :func:`translate` where they are shown
(``Command.get_help``, ``Command.get_usage``, ``ClickException.show``). :func:`install` does both,
once, when :mod:`ptgen.cli` is imported. typer is pinned to the minor version this was written for
(pyproject.toml); ``tests/test_cli_chinese.py`` scans the help and errors of every command for
English words, so a typer that words things differently is caught by the tests, not by users.
"""
from __future__ import annotations

import gettext
import re
import sys
from typing import Any, Callable

# typer.core's gettext message ids → Chinese.
CATALOGUE = {
    "Arguments": "参数",
    "Options": "选项",
    "Commands": "命令",
    "default: {default}": "默认：{default}",
    "required": "必填",
    "env var: {var}": "环境变量：{var}",
    "(dynamic)": "（动态）",
    "Aborted!": "已中止。",
    "Aborted.": "已中止。",
    "Error": "错误",
    "Missing command.": "缺少命令。",
    "No such command {name!r}.": "没有命令“{name}”。",
    "[default: {}]": "[默认：{}]",
    "[env var: {}]": "[环境变量：{}]",
    "[required]": "[必填]",
    "(deprecated) ": "（已弃用）",
    "Try [blue]'{command_path} {help_option}'[/] for help.": "运行 [blue]{command_path} {help_option}[/] 查看帮助。",
}

_TYPES = {"path": "路径", "str": "文本", "text": "文本", "int": "整数", "integer": "整数", "float": "数",
          "bool": "是/否", "boolean": "是/否", "file": "文件", "filename": "文件名", "directory": "文件夹"}


def _choices(text: str) -> str:
    return "、".join(c.strip().strip("'") for c in text.split(","))


# The bundled click's hard-coded English, as (pattern, replacement) applied in order. A
# replacement may be a function (for nested messages, translated again).
# Compiled when first used (re's own cache): most runs never translate a message of click's.
_RULES: list[tuple[str, int, str | Callable[[re.Match], str]]] = []


def _rule(pattern: str, repl: str | Callable[[re.Match], str], flags: int = 0) -> None:
    _RULES.append((pattern, flags, repl))


_rule(r"^Usage: ", "用法：", re.M)
_rule(r"^(参数|选项|命令):$", r"\1：", re.M)  # the headings, after gettext
_rule(r"Show this message and exit\.", "显示本帮助并退出。")
_rule(r"Show the version and exit\.", "显示版本并退出。")
_rule(r"\[OPTIONS\]", "[选项]")
_rule(r"COMMAND \[ARGS\]\.\.\.", "命令 [参数]...")
_rule(r"<(path|str|text|int|integer|float|bool|boolean|file|filename|directory)>", lambda m: f"<{_TYPES[m[1]]}>")
_rule(r"^Invalid value for (.+?): (.*)$", lambda m: f"{m[1]} 的值无效：{translate(m[2])}", re.S)
_rule(r"^Invalid value: (.*)$", lambda m: f"值无效：{translate(m[1])}", re.S)
_rule(r"^Value error, ", "")
_rule(r"^Input should be a valid integer.*$", "要写整数（只用半角数字 0–9）。", re.S)  # pydantic's, for an int option
_rule(r"^Input should be a valid number.*$", "要写数字（只用半角数字 0–9 和小数点）。", re.S)
_rule(r"^(.+?) is not one of (.+?)\.$", lambda m: f"{m[1]} 不是可选的值；可选：{_choices(m[2])}。", re.S)
_rule(r"^Missing (option|argument|parameter)( .+?)?\.(?: Choose from:\s*(.*))?$",
      lambda m: f"缺少{ {'option': '选项', 'argument': '参数', 'parameter': '参数'}[m[1]] }{m[2] or ''}。"
                + (f"可选：{'、'.join(c.strip() for c in m[3].split(','))}。" if m[3] else ""), re.S)
_rule(r"^Missing parameter: (.*)$", r"缺少参数 \1。")
_rule(r"^No such option: (\S+)(?: \(Possible options: (.*)\))?$",
      lambda m: f"没有选项 {m[1]}。" + (f"你是不是要用 {m[2].replace(', ', '、')}？" if m[2] else ""))
_rule(r"^Got unexpected extra argument(?:\(s\)|s)? \((.*)\)$", r"多了参数（\1）：这个命令不需要它。", re.S)
_rule(r"^Option '(.+?)' requires an argument\.$", r"选项 \1 后面需要一个值。")
_rule(r"^Option '(.+?)' requires (\d+) arguments\.$", r"选项 \1 后面需要 \2 个值。")
_rule(r"^Option '(.+?)' does not take a value\.$", r"选项 \1 不接受值。")
_rule(r"^Argument '(.+?)' takes (\d+) values\.$", r"参数 \1 需要 \2 个值。")
_rule(r"^(.*?)\.? Did you mean (.*)\?$",
      lambda m: f"{translate(m[1] if m[1].endswith('。') else m[1] + '.')}你是不是要用 {m[2].replace(', ', '、')}？", re.S)
_rule(r"^No such command '(.*)'\.$", r"没有命令“\1”。")
_rule(r"^Missing command\.$", "缺少命令。")
_rule(r"^Could not open file '(.*)': (.*)$", r"无法打开文件 \1：\2")


def translate(text: str) -> str:
    """The bundled click's English words in ``text`` → Chinese (text that is already Chinese is kept)."""
    for pattern, flags, repl in _RULES:
        text = re.sub(pattern, repl, text, flags=flags)
    return text


class Chinese(gettext.NullTranslations):
    """A gettext translation with :data:`CATALOGUE` (for modules that call ``gettext``)."""

    def gettext(self, message: str) -> str:
        return CATALOGUE.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


def _show_usage_error(self: Any, file: Any = None) -> None:
    from typer._click.utils import echo
    file = file if file is not None else sys.stderr
    color = None
    if self.ctx is not None:
        color = self.ctx.color
        hint = ""
        if self.ctx.command.get_help_option(self.ctx) is not None:
            hint = f"运行 {self.ctx.command_path} {self.ctx.help_option_names[0]} 查看帮助。\n"
        echo(f"{self.ctx.get_usage()}\n{hint}", file=file, color=color)
    echo(f"错误：{translate(self.format_message())}", file=file, color=color)


def _show_error(self: Any, file: Any = None) -> None:
    from typer._click.utils import echo
    echo(f"错误：{translate(self.format_message())}", file=file if file is not None else sys.stderr,
         color=self.show_color)


_installed = False


def install() -> None:
    """Make typer's and its bundled click's words Chinese (idempotent)."""
    global _installed
    if _installed:
        return
    import typer.core
    from typer._click import core as click_core
    from typer._click import exceptions as click_exceptions

    chinese = Chinese()
    typer.core._ = chinese.gettext  # type: ignore[attr-defined]
    for name in ("get_help", "get_usage"):
        original = getattr(click_core.Command, name)
        setattr(click_core.Command, name, _translated(original))
    click_exceptions.ClickException.show = _show_error  # type: ignore[method-assign]
    click_exceptions.UsageError.show = _show_usage_error  # type: ignore[method-assign]
    _installed = True


def _translated(method: Callable[..., str]) -> Callable[..., str]:
    def wrapper(self: Any, ctx: Any) -> str:
        return translate(method(self, ctx))
    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper

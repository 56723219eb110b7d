"""Reading and writing content YAML.

Reading is strict on purpose: every scalar is read as the text that was typed (so ``0.12``,
``08``, ``no`` and ``2025-12-31`` stay strings), duplicate keys are errors (PyYAML would keep
the last one silently), anchors/aliases are refused (no alias bombs), and every value's line
and column is kept so that messages can point at it.  Writing produces the one canonical shape
that ``import`` (and later ``fmt``) write.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from .model import KeyPath, Pos

MAX_BYTES = 1024 * 1024  # a project file is a few KB; anything this large is a mistake

try:  # the C parser is ~7x faster; the pure-Python one gives the same nodes
    _Loader = yaml.CBaseLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.BaseLoader


@dataclass
class YamlProblem(Exception):
    """A file that cannot be read as content YAML at all."""

    code: str
    message: str
    line: int = 1
    column: int = 1
    text: str | None = None


def _position(text: str, offset: int) -> Pos:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def decode(data: bytes) -> str:
    """UTF-8 text of ``data``, or a :class:`YamlProblem` saying where the bad bytes are."""
    if len(data) > MAX_BYTES:
        raise YamlProblem("Y007", f"文件太大（{len(data) / 1048576:.1f} MB）：内容文件一般只有几 KB，上限是 1 MB。"
                          "请确认没有把别的文件（例如 Word 文档或表格）存成了 .yaml。")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8", errors="replace")
        line, col = _position(good, len(good))
        raise YamlProblem("Y008", f"文件不是 UTF-8 编码（第 {exc.start + 1} 个字节 0x{data[exc.start]:02x} 无法识别）。"
                          "请在编辑器中用 UTF-8 编码重新保存（记事本：另存为 → 编码选 UTF-8）。", line, col) from None
    return text


_PROBLEMS_ZH = [
    ("found character '\\t' that cannot start any token", "这里有制表符（Tab）：YAML 只能用空格缩进"),
    ("found duplicate anchor", "锚点重复"),
    ("mapping values are not allowed here", "这里不能出现冒号“: ”：如果文字里有冒号，请把整段文字用双引号括起来"),
    ("could not find expected ':'", "缺少冒号“:”"),
    ("found unexpected end of stream", "文件意外结束（引号或括号没有闭合？）"),
    ("found unknown escape character", "双引号里有无法识别的反斜杠转义"),
    ("special characters are not allowed", "文字中有不允许的控制字符（通常是从其他软件粘贴进来的不可见字符）"),
    ("control characters are not allowed", "文字中有不允许的控制字符（通常是从其他软件粘贴进来的不可见字符）"),
    ("did not find expected key", "缩进不一致或缺少“- ”"),
    ("did not find expected '-' indicator", "列表项缺少“- ”或缩进不一致"),
    ("found undefined alias", "使用了未定义的别名"),
]


def _zh_problem(problem: str | None) -> str:
    problem = problem or "无法解析"
    for needle, zh in _PROBLEMS_ZH:
        if needle in problem:
            return zh
    return problem


def parse(text: str) -> tuple[Any, dict[KeyPath, Pos]]:
    """Parse YAML ``text`` into str/list/dict and a map from key path to (line, column)."""
    try:
        if "*" in text:  # only then can there be an alias; find where it is written
            for event in yaml.parse(text, Loader=_Loader):
                if isinstance(event, yaml.AliasEvent):
                    m = event.start_mark
                    raise YamlProblem("Y010", "内容文件不支持 YAML 锚点和别名（& 和 *）：请把内容直接写出来。",
                                      m.line + 1, m.column + 1)
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlProblem("Y001", f"YAML 格式错误：{_zh_problem(exc.problem)}。", line, col) from None
    except yaml.YAMLError as exc:
        raise YamlProblem("Y001", f"YAML 格式错误：{exc}") from None
    if node is None:
        raise YamlProblem("Y009", "文件是空的（或只有注释）。")
    positions: dict[KeyPath, Pos] = {}
    seen: set[int] = set()
    return _build(node, (), positions, seen), positions


def _mark(node: yaml.Node) -> Pos:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _build(node: yaml.Node, path: KeyPath, positions: dict[KeyPath, Pos], seen: set[int]) -> Any:
    if id(node) in seen:  # the composer hands out the same node again only for an alias
        line, col = _mark(node)
        raise YamlProblem("Y010", "内容文件不支持 YAML 锚点和别名（& 和 *）：请把内容直接写出来。", line, col)
    seen.add(id(node))
    positions[path] = _mark(node)
    if isinstance(node, yaml.ScalarNode):
        # In content files the line break that closes a literal block (``|``) is the end of the
        # block, not an empty last paragraph: a clerk who writes ``goals: |`` means just the text.
        # A real trailing empty paragraph is written with ``|+`` (as ``import`` does).
        if node.style == "|" and node.value.endswith("\n"):
            return node.value[:-1]
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (i,), positions, seen) for i, item in enumerate(node.value)]
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            line, col = _mark(key_node)
            raise YamlProblem("Y001", "YAML 格式错误：字段名必须是文字。", line, col)
        key = key_node.value
        if key in result:
            line, col = _mark(key_node)
            first = positions.get(path + (key,), (0, 0))[0]
            raise YamlProblem("Y002", f"字段“{key}”写了两次（第一次在第 {first} 行）：YAML 只会保留其中一个，"
                              "另一个的内容会丢失。请删掉或合并其中一个。", line, col, key)
        result[key] = _build(value_node, path + (key,), positions, seen)
    return result


def read(path: Path) -> tuple[Any, dict[KeyPath, Pos]]:
    """Read and parse one content file; raises :class:`YamlProblem`."""
    return parse(decode(path.read_bytes()))


# --- writing -------------------------------------------------------------------------------------

_PLAIN_SAFE = re.compile(r"^[^\s\-?:,\[\]{}#&*!|>'\"%@`][^\n]*$")


def _scalar(value: str, *, force_quote: bool = False):
    lines = value.split("\n")
    # A literal block only where it keeps the text exactly and survives editors that trim lines.
    if len(lines) > 1 and value.strip("\n") and all(l == l.strip() for l in lines) and "\r" not in value:
        return LiteralScalarString(value + "\n")  # the block's closing break is not content
    if force_quote or value == "" or not _PLAIN_SAFE.match(value) or value != value.strip() or ": " in value \
            or " #" in value or value.endswith(":"):
        return DoubleQuotedScalarString(value)
    # Anything a YAML 1.1 or 1.2 reader could take for a number, date, boolean or null is quoted,
    # so the file means the same in every editor and tool, not only in ptgen.
    try:
        loaded = yaml.safe_load(value)
    except yaml.YAMLError:
        return DoubleQuotedScalarString(value)
    if loaded != value:
        return DoubleQuotedScalarString(value)
    return value


def prepare(data: Any, quote_keys: frozenset[str] = frozenset()) -> Any:
    """Turn plain data into ruamel scalars in the canonical quoting style."""
    if isinstance(data, dict):
        return {k: (_scalar(v, force_quote=k in quote_keys) if isinstance(v, str) else prepare(v, quote_keys))
                for k, v in data.items()}
    if isinstance(data, list):
        return [prepare(v, quote_keys) for v in data]
    if isinstance(data, str):
        return _scalar(data)
    return data


def dump(data: Any, header: str | None = None, quote_keys: frozenset[str] = frozenset()) -> str:
    """Canonical YAML text of ``data`` (dicts keep their key order)."""
    y = YAML()
    y.width = 100000  # never fold: a fold inside Chinese text would insert a space
    y.indent(mapping=2, sequence=4, offset=2)
    y.allow_unicode = True
    buf = io.StringIO()
    if header:
        buf.write("".join(f"# {line}\n" if line else "#\n" for line in header.splitlines()))
    y.dump(prepare(data, quote_keys), buf)
    return buf.getvalue()

"""Reading and writing content YAML.

Reading is strict on purpose: every scalar is read as the text that was typed (so ``0.12``,
``08``, ``no`` and ``2025-12-31`` stay strings), duplicate keys are errors (PyYAML would keep
the last one silently), anchors/aliases are refused (no alias bombs), and every value's line
and column is kept so that messages can point at it.  Writing produces the one canonical shape
that ``import`` (and later ``fmt``) write.
"""
from __future__ import annotations

import errno
import functools
import io
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .model import KeyPath, Pos

MAX_BYTES = 1024 * 1024  # a project file is a few KB; anything this large is a mistake

try:  # the C parser is ~7x faster; the pure-Python one gives the same nodes
    _Base = yaml.CBaseLoader
except AttributeError:  # pragma: no cover
    _Base = yaml.BaseLoader


class _Loader(_Base):
    """The base loader without tag resolution: content reads every scalar as text and never looks
    at a node's tag, and the resolver's walk (its path bookkeeping for each of the ~170 nodes of a
    project file) was a third of composing."""

    _TAGS = {yaml.ScalarNode: yaml.resolver.BaseResolver.DEFAULT_SCALAR_TAG,
             yaml.SequenceNode: yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG,
             yaml.MappingNode: yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG}

    def resolve(self, kind, value, implicit):  # noqa: ARG002 - the signature PyYAML calls
        return self._TAGS[kind]

    def descend_resolver(self, current_node, current_index):  # the pure-Python composer calls these
        pass

    def ascend_resolver(self):
        pass


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


def _too_big(size: int) -> YamlProblem:
    return YamlProblem("Y007", f"文件太大（{size / 1048576:.1f} MB）：内容文件一般只有几 KB，上限是 1 MB。"
                       "请确认没有把别的文件（例如 Word 文档或表格）存成了 .yaml。")


def read_bytes(path: Path) -> bytes:
    """The bytes of content file ``path``.  Its size is checked (``fstat``) before anything is read,
    and never more than ``MAX_BYTES`` + 1 bytes are read, so a huge file costs nothing."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))  # a FIFO must not block
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "这不是普通文件（是设备、管道或文件夹）")
        if st.st_size > MAX_BYTES:
            raise _too_big(st.st_size)
        # Ask for the size fstat gave (asking for MAX_BYTES each time made a 1 MB buffer per file);
        # the file may have grown since (or report size 0, as /proc does): then read on, up to the limit.
        want = st.st_size + 1
        data = f.read(want)
        if len(data) == want:
            data += f.read(MAX_BYTES + 1 - want)
    if len(data) > MAX_BYTES:
        raise _too_big(len(data))
    return data


def decode(data: bytes) -> str:
    """UTF-8 text of ``data``, or a :class:`YamlProblem` saying where the bad bytes are."""
    if len(data) > MAX_BYTES:
        raise _too_big(len(data))
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


# Every problem PyYAML's scanner, parser and composer (and libyaml, the C parser) can report, in
# words a clerk can act on.  Matched in order against "context | problem"; the first hit wins.
_QUOTE_IT = "如果这是一段文字，请把整段文字用双引号括起来"
_PROBLEMS_ZH = [
    (r"tab character|'\\t'", "这里有制表符（Tab）：YAML 只能用空格缩进，请把 Tab 换成空格"),
    (r"control characters|special characters|unacceptable character",
     "文字中有不允许的控制字符（通常是从其他软件粘贴进来的不可见字符），请删除它"),
    (r"UTF-8|Unicode character$|low surrogate", "文字中有无法识别的字符（编码错误），请用 UTF-8 编码重新保存"),
    (r"nesting depth|increasing (block|flow) level", f"嵌套层数太多（内容文件最多 {{depth}} 层）"),
    (r"input is too long", "文件太长"),
    (r"mapping values are not allowed", "这里不能出现冒号“: ”：" + _QUOTE_IT + "；如果是字段，请检查缩进"),
    (r"mapping keys are not allowed", "这里不能出现“? ”：" + _QUOTE_IT),
    (r"sequence entries are not allowed", "这里不能出现列表项“- ”：请检查缩进；" + _QUOTE_IT),
    (r"could not find expected ':'", "缺少冒号“: ”：字段名后面要写英文冒号和一个空格（也可能是上一行的文字没有用引号括好）"),
    (r"quoted scalar.*end of stream", "引号没有闭合：从这里开始的引号直到文件结尾都没有找到配对的另一半"),
    (r"end of stream", "文件意外结束：引号或括号没有闭合"),
    (r"hexdecimal|hexadecimal|escape code|escape sequence", "双引号里的 \\x、\\u 或 \\U 转义写错了：后面要跟规定位数的十六进制数字"),
    (r"unknown escape character", "双引号里的反斜杠“\\”后面跟了无法识别的字符：要写反斜杠本身请写成“\\\\”，或改用单引号"),
    (r"flow sequence|',' or '\]'", "方括号“[”没有配对的“]”，或者两项之间缺少英文逗号：" + _QUOTE_IT),
    (r"flow mapping|',' or '}'", "花括号“{”没有配对的“}”，或者两项之间缺少英文逗号：" + _QUOTE_IT),
    (r"expected '-' indicator|block collection", "列表项缺少“- ”，或者缩进与上面的列表项不一致"),
    (r"expected key|<block end>|block mapping", "缩进不一致：这一行与同一层的其他行没有对齐（同一层要用相同个数的空格缩进）"),
    (r"node content|flow node|parsing a node|block node", "这里缺少内容：冒号或“- ”后面的值写法不对，" + _QUOTE_IT),
    (r"indentation indicator", "“|”后面的缩进数字只能是 1 到 9"),
    (r"block scalar|chomping", "“|”或“>”后面只能写 +、- 或一个数字，文字要从下一行开始写"),
    (r"single document|another document|document start|document indicator|document separator|DOCUMENT",
     "一个文件只能有一份内容：请删除“---”或“...”分隔线（如果它是文字，请用双引号括起来）"),
    (r"anchor|alias", "“&”或“*”后面的写法不对：内容文件不使用 YAML 锚点和别名，" + _QUOTE_IT),
    (r"directive|version number|incompatible YAML|%YAML|%TAG", "以“%”开头的行是 YAML 指令，内容文件不需要：请删除这一行，" + _QUOTE_IT),
    (r"tag|URI|'!'|'>'", "“!”开头的是 YAML 标签，内容文件不使用：" + _QUOTE_IT),
    (r"digit", "以“%”开头的行是 YAML 指令，内容文件不需要：请删除这一行，" + _QUOTE_IT),
    (r"alphabetic|alphabetical", "“&”“*”“!”或“%”后面只能写英文字母和数字：" + _QUOTE_IT),
    (r"comment or (a )?line break", "这一行在这里就该结束（后面最多跟一个“ #”注释）：" + _QUOTE_IT),
    (r"cannot start any token", "值不能以这个字符开头（它在 YAML 里有特殊含义）：" + _QUOTE_IT),
    (r"found unexpected ':'", "冒号的位置不对：冒号后面要有空格，" + _QUOTE_IT),
    (r"whitespace|expected ' '", "这里缺少空格"),
    (r"duplicate key", "字段写了两次"),
]
# A field name typed with a full-width colon: ``purpose：值`` (field names are ASCII words).
_FULLWIDTH_KEY = re.compile(r"^[ ]*(?:-[ ]+)?[A-Za-z_][A-Za-z0-9_]*[ ]*(：)")


def _zh_problem(problem: str | None, context: str | None = None) -> str:
    said = f"{context or ''} | {problem or ''}"
    for needle, zh in _PROBLEMS_ZH:  # compiled when first needed (re's cache): most checks meet none
        if re.search(needle, said):
            return zh.replace("{depth}", str(MAX_DEPTH))
    return "YAML 无法识别这里的写法，" + _QUOTE_IT


def _line(text: str, line: int) -> str:
    lines = text.split("\n")
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _marked_problem(exc: yaml.MarkedYAMLError, text: str) -> YamlProblem:
    problem, context = exc.problem or "", exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    start = exc.context_mark
    # A full-width colon where "key: " belongs surfaces a line late (or as "mapping values ..."):
    # look at the lines where the problem may start.
    for n in dict.fromkeys(n for n in ((start.line + 1) if start else 0, line - 1, line) if n > 0):
        m = _FULLWIDTH_KEY.match(_line(text, n))
        if m:
            return YamlProblem("Y001", "YAML 格式错误：字段名后面打成了中文冒号“：”，应该是英文冒号加一个空格“: ”。",
                               n, m.start(1) + 1)
    where = f"{context} | {problem}"
    if start is not None and re.search(r"quoted scalar.*end of stream|flow (sequence|mapping)|simple key", where):
        line, col = start.line + 1, start.column + 1  # the opening quote or bracket, the key's line
    if re.search(r"cannot start any token", problem):
        ch = _line(text, line)[col - 1: col]
        if ch == "\t":
            message = _zh_problem("tab character")
        else:
            message = f"值不能以“{ch}”开头（YAML 里它有特殊含义）：{_QUOTE_IT}"
    elif problem == "did not find expected key" and re.search(r"[\"'][ ]*$", _line(text, line)[: col - 1]):
        message = "引号后面不能再写文字：整段文字要都放在引号里"
    else:
        message = _zh_problem(problem, context)
    return YamlProblem("Y001", f"YAML 格式错误：{message}。", line, col)


def _problem(exc: yaml.YAMLError, text: str) -> YamlProblem:
    if isinstance(exc, yaml.reader.ReaderError):  # a character YAML does not allow at all
        ch = chr(exc.character) if isinstance(exc.character, int) else ""
        offset = text.find(ch) if ch else -1  # libyaml counts bytes, PyYAML characters: find the character
        line, col = _position(text, offset if offset >= 0 else 0)
        name = f"U+{ord(ch):04X}" if ch else ""
        return YamlProblem("Y001", f"YAML 格式错误：这里有不可见的控制字符 {name}（通常是从其他软件粘贴进来的），"
                           "YAML 文件不能含有它：请删除这个字符。", line, col)
    if isinstance(exc, yaml.MarkedYAMLError):
        return _marked_problem(exc, text)
    return YamlProblem("Y001", f"YAML 格式错误：{_zh_problem(str(exc))}。")


MAX_DEPTH = 20  # content needs 5 levels (project → indicators → row); deeper is a mistake or an attack
# A line indented this deep (flow brackets aside) is the only way to nest that far; searched for
# after a newline rather than at every line start, which was 40 µs a file.
_DEEP_INDENT = re.compile(r"\n[ \-?:]{%d}" % (MAX_DEPTH - 4))


def _scan_events(text: str) -> None:
    """One non-recursive pass over the parser's events, before anything is composed (composing
    recurses, and ~500 levels of ``[[[...`` end in RecursionError): refuse aliases and nesting
    deeper than :data:`MAX_DEPTH`.  Skipped when the text can have neither (the usual case)."""
    aliases = "*" in text
    nesting = "[" in text or "{" in text or _DEEP_INDENT.search("\n" + text) is not None
    if not (aliases or nesting):
        return
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                m = event.start_mark
                raise YamlProblem("Y011", f"嵌套层数太多（超过 {MAX_DEPTH} 层）：内容文件只需要几层"
                                  "（项目 → 指标列表 → 指标行），请检查是否多写了括号“[”“{”或缩进。",
                                  m.line + 1, m.column + 1)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            m = event.start_mark
            raise YamlProblem("Y010", "内容文件不支持 YAML 锚点和别名（& 和 *）：请把内容直接写出来。",
                              m.line + 1, m.column + 1)


def check_depth(text: str) -> None:
    """Raise :class:`YamlProblem` (Y011) if ``text`` nests deeper than :data:`MAX_DEPTH` (or has
    aliases, or cannot be parsed): call it before any recursive YAML reader sees the text."""
    try:
        _scan_events(text)
    except yaml.YAMLError as exc:
        raise _problem(exc, text) from None


def _compose(text: str) -> yaml.Node:
    """The node tree of ``text``; a :class:`YamlProblem` for anything content cannot be."""
    try:
        _scan_events(text)
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise _problem(exc, text) from None
    if node is None:
        raise YamlProblem("Y009", "文件是空的（或只有注释）。")
    return node


def parse(text: str) -> tuple[Any, dict[KeyPath, Pos]]:
    """Parse YAML ``text`` into str/list/dict and a map from key path to (line, column)."""
    node = _compose(text)
    positions: dict[KeyPath, Pos] = {}
    # No alias reaches this point: _scan_events refused every one (a file without "*" has none).
    return _build(node, (), positions), positions


def parse_data(text: str) -> Any:
    """The data of YAML ``text``, as :func:`parse` gives it, without the positions (a check needs
    them only where it finds something: :class:`FilePositions` reads them then)."""
    node = _compose(text)
    try:
        return _data(node)
    except _Refused:  # a key that is no text, or written twice: parse says where, and where first
        parse(text)
        raise AssertionError("parse accepted what _data refused") from None  # pragma: no cover


class _Refused(Exception):
    pass


def _data(node: yaml.Node) -> Any:
    kind = type(node)
    if kind is _SCALAR:
        value = node.value
        if node.style == "|" and value.endswith("\n"):  # see _build
            return value[:-1]
        return value
    if kind is _SEQUENCE:
        return [_data(item) for item in node.value]
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if type(key_node) is not _SCALAR or key_node.value in result:
            raise _Refused
        result[key_node.value] = _data(value_node)
    return result


class FilePositions(Mapping):
    """Where each value of a content file stands (key path → line, column), read from the file
    when first asked for: most files' positions are never needed, only where a rule finds
    something.  If the file changed since it was checked, they are those of its new text."""

    def __init__(self, path: Path):
        self.path = path
        self._read: dict[KeyPath, Pos] | None = None

    def _positions(self) -> dict[KeyPath, Pos]:
        if self._read is None:
            try:
                self._read = read(self.path)[1]
            except (OSError, YamlProblem):  # gone or broken since: messages point at the file's start
                self._read = {}
        return self._read

    def __getitem__(self, key) -> Pos:
        return self._positions()[key]

    def __iter__(self):
        return iter(self._positions())

    def __len__(self) -> int:
        return len(self._positions())


def _mark(node: yaml.Node) -> Pos:
    return node.start_mark.line + 1, node.start_mark.column + 1


_SCALAR, _SEQUENCE = yaml.ScalarNode, yaml.SequenceNode


def _build(node: yaml.Node, path: KeyPath, positions: dict[KeyPath, Pos]) -> Any:
    mark = node.start_mark
    positions[path] = (mark.line + 1, mark.column + 1)
    kind = type(node)
    if kind is _SCALAR:
        # In content files the line break that closes a literal block (``|``) is the end of the
        # block, not an empty last paragraph: a clerk who writes ``goals: |`` means just the text.
        # A real trailing empty paragraph is written with ``|+`` (as ``import`` does).
        value = node.value
        if node.style == "|" and value.endswith("\n"):
            return value[:-1]
        return value
    if kind is _SEQUENCE:
        return [_build(item, (*path, i), positions) for i, item in enumerate(node.value)]
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if type(key_node) is not _SCALAR:
            line, col = _mark(key_node)
            raise YamlProblem("Y001", "YAML 格式错误：字段名必须是文字。", line, col)
        key = key_node.value
        if key in result:
            line, col = _mark(key_node)
            first = positions.get((*path, key), (0, 0))[0]
            raise YamlProblem("Y002", f"字段“{key}”写了两次（第一次在第 {first} 行）：YAML 只会保留其中一个，"
                              "另一个的内容会丢失。请删掉或合并其中一个。", line, col, key)
        result[key] = _build(value_node, (*path, key), positions)
    return result


def read(path: Path) -> tuple[Any, dict[KeyPath, Pos]]:
    """Read and parse one content file; raises :class:`YamlProblem`."""
    return parse(decode(read_bytes(path)))


# --- writing -------------------------------------------------------------------------------------

_PLAIN_SAFE = re.compile(r"^[^\s\-?:,\[\]{}#&*!|>'\"%@`][^\n]*$")


@functools.cache
def _ruamel_strings() -> tuple[type, type]:
    """ruamel's quoted and block strings, imported when ptgen first writes YAML: a check only
    reads (with PyYAML), and importing ruamel took a twentieth of a check with a warm cache."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString
    return DoubleQuotedScalarString, LiteralScalarString


def _scalar(value: str, *, force_quote: bool = False):
    DoubleQuotedScalarString, LiteralScalarString = _ruamel_strings()  # noqa: N806 - the classes
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
    from ruamel.yaml import YAML
    y = YAML()
    y.width = 100000  # never fold: a fold inside Chinese text would insert a space
    y.indent(mapping=2, sequence=4, offset=2)
    y.allow_unicode = True
    buf = io.StringIO()
    if header:
        buf.write("".join(f"# {line}\n" if line else "#\n" for line in header.splitlines()))
    y.dump(prepare(data, quote_keys), buf)
    return buf.getvalue()

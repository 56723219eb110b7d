"""Bookmark names: each table's name is stored with it and never shifts; new ones take the next free number."""
from __future__ import annotations

import re
from collections.abc import Iterable

from .model import BookmarkScheme

WORD_MAX = 40  # Word silently truncates longer bookmark names
RESERVED_PREFIX = "_ptgen_"  # ptgen's own heading anchors (departments, units): never a table's
_VALID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def guess_scheme(names: Iterable[str]) -> BookmarkScheme | None:
    """The scheme a set of published names follows (``_Toc_4_4_0000000105`` → prefix ``_Toc_4_4_``, 10 digits)."""
    for name in names:
        m = re.match(r"^(.*?)(\d+)$", name)
        if m and name != "_GoBack":
            return BookmarkScheme(prefix=m[1], digits=len(m[2]))
    return None


def number(name: str, scheme: BookmarkScheme) -> int | None:
    """The sequence number of ``name`` in ``scheme``, or None if it is not of the scheme."""
    if name.startswith(scheme.prefix):
        tail = name[len(scheme.prefix):]
        if tail.isdigit() and tail.isascii():
            return int(tail)
    return None


def next_free(existing: Iterable[str], scheme: BookmarkScheme) -> str:
    """The next name after the highest one in use: inserting a project never renames another."""
    used = [n for name in existing if (n := number(name, scheme)) is not None]
    return f"{scheme.prefix}{(max(used) + 1 if used else 1):0{scheme.digits}d}"


def problem(name: str) -> str | None:
    """Why ``name`` cannot be a Word bookmark name, or None."""
    if not name:
        return "书签名为空"
    if len(name) > WORD_MAX:
        return f"书签名有 {len(name)} 个字符，Word 只保留前 {WORD_MAX} 个，链接会失效"
    if not _VALID.fullmatch(name):  # fullmatch: "$" would let a final line break through
        return "书签名只能由英文字母、数字和下划线组成，且不能以数字开头"
    if name.startswith(RESERVED_PREFIX):
        return f"以 {RESERVED_PREFIX} 开头的书签名留给 ptgen 自己的部门和单位标题，表格不能用，否则链接会指错位置"
    if name == "_GoBack":
        return "_GoBack 是 Word 自动生成的编辑位置书签，不能作为表格书签"
    return None

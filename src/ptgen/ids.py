"""A project's stable identity (``id:`` in its file): the same project across revisions and years.

An identity is short and safe to read out and type: eight characters of Crockford's base 32 (digits
and capital letters without I, L, O and U, so nothing reads as another character) in two groups,
``6KQ2-M8VD``.  Where ptgen makes one it is derived from what places the project in its
publication when it was made — the budget year, the department and unit folders and the bookmark
(unique in a publication) — so importing the same published tables again gives the same files,
byte for byte.  ``rollover`` keeps each identity: next year's project is the same project, whatever
its name, file or bookmark become.  Identities are unique within a publication (rule I01).
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32
# What a person may write: letters, digits, "-" and "_", at most 40 characters.
ID_RE = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]{0,39}")


def make(year: int | str, department: str, unit: str, bookmark: str, taken: Iterable[str] = ()) -> str:
    """The identity of the project with ``bookmark`` in ``department``/``unit`` made in ``year``;
    a different one (deterministically) if that is in ``taken``."""
    taken = set(taken)
    n = 0
    while True:
        seed = "\x1f".join([str(year), department, unit, bookmark] + ([str(n)] if n else []))
        value = int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest()[:5], "big")
        chars = "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(8)))
        ident = f"{chars[:4]}-{chars[4:]}"
        if ident not in taken:
            return ident
        n += 1


def problem(ident: str) -> str | None:
    """Why ``ident`` cannot be a project identity, or None."""
    if not ID_RE.fullmatch(ident):
        return f"项目标识“{ident}”只能由英文字母、数字、“-”和“_”组成（最多 40 个字符），例如 6KQ2-M8VD"
    return None

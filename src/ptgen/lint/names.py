"""Rules about the names a build gives its outputs (one file per department folder)."""
from __future__ import annotations

from ..report import Severity
from . import Finding, Rule, register


@register
class OutputNameCollision(Rule):
    code = "O01"
    severity = Severity.ERROR
    title = "部门文件夹名决定输出文件名：不能叫 index，不能与出版物文件夹同名，也不能只差大小写，否则一个文件会覆盖另一个。"
    scope = "publication"

    def check_publication(self, pub):
        taken = {pub.name.casefold(): f"全书的文件（{pub.name}.docx 等）", "index": "网页目录 index.html"}
        for d in pub.departments:
            key = d.folder.casefold()
            i = pub.settings.departments.index(d.folder)
            if key in taken:
                yield Finding(("departments", i), f"部门文件夹“{d.folder}”生成的文件会与{taken[key]}同名，"
                              f"互相覆盖：请给这个部门文件夹改名（同时改这里的列表）。", d.folder)
            else:
                taken[key] = f"部门文件夹“{d.folder}”的文件"

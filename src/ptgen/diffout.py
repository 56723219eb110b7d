"""Showing a :class:`ptgen.diff.Diff`: terminal, Markdown (a pull-request comment), Word redline."""
from __future__ import annotations

from .diff import STATUS_ZH as STATUS
from .diff import Diff, ProjectChange


def summary_line(d: Diff) -> str:
    parts = [f"{STATUS[s]} {d.count(s)}" for s in ("added", "removed", "changed") if d.count(s)]
    n = sum(d.count(s) for s in ("added", "removed", "changed"))
    if not n:
        return "没有项目变化。"
    return f"{n} 个项目有变化：" + "，".join(parts) + "。"


def _md(text: str) -> str:
    """Table-cell safe: no pipes or line breaks, Markdown characters escaped."""
    out = text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")
    for ch in "*_`[]<>":
        out = out.replace(ch, "\\" + ch)
    return out


def indicator_rows(c: ProjectChange) -> list[tuple[str, str, str, str, str]]:
    """(status, group/name, what, old, new) per indicator change, for every output format."""
    rows = []
    for i in c.indicators:
        name = f"{i.level1}/{i.level2}/{i.name}"
        if i.status == "changed":
            rows += [(i.status, name, f.label, f.old, f.new) for f in i.changes]
        elif i.status == "added":
            rows.append((i.status, name, "新增", "", i.new["value"]))
        else:
            rows.append((i.status, name, "删除", i.old["value"], ""))
    return rows


def _project_md(c: ProjectChange) -> list[str]:
    import html
    tags = "、".join(c.tags)
    head = (f"<b>{STATUS[c.status]}</b> <code>{html.escape(c.bookmark)}</code> {html.escape(c.name)}"
            + (f"（{tags}）" if tags else ""))
    lines = [f"<details><summary>{head}</summary>", ""]
    if c.old_name is not None:
        lines.append(f"- 项目名称：{_md(c.old_name)} → {_md(c.name)}")
    if c.old_location is not None:
        lines.append(f"- 位置：{_md(c.old_location)} → {_md(c.location)}")
    elif c.location:
        lines.append(f"- 位置：{_md(c.location)}")
    if c.old_file is not None:
        lines.append(f"- 文件：`{c.old_file}` → `{c.file}`")
    if c.budget:
        lines += ["", "| 金额 | 原来 | 现在 | 变化 |", "|---|---:|---:|---:|"]
        lines += [f"| {f.label} | {f.old} | {f.new} | {f.delta} |" for f in c.budget]
    if c.fields:
        lines += ["", "| 字段 | 原来 | 现在 |", "|---|---|---|"]
        lines += [f"| {f.label} | {_md(f.old)} | {_md(f.new)} |" for f in c.fields]
    if c.indicators:
        lines += ["", "| 指标 | 变化 | 原来 | 现在 |", "|---|---|---|---|"]
        lines += [f"| {_md(name)} | {what} | {_md(old)} | {_md(new)} |" for _, name, what, old, new in indicator_rows(c)]
    lines += ["", "</details>", ""]
    return lines


def markdown(d: Diff) -> str:
    lines = [f"### ptgen diff：{summary_line(d)}", "", f"比较 `{d.base}` → `{d.head}`。", ""]
    if d.anchors:
        lines += ["> [!CAUTION]", "> 书签稳定性：以下书签在新版本里消失或改指了别的项目，去年文件里的链接会失效。"]
        lines += [f"> - {_md(a.message)}" for a in d.anchors]
        lines.append("")
    for p in d.publications:
        lines.append(f"#### {_md(p.name)}")
        lines.append("")
        if p.totals:
            lines += ["| 部门 / 单位 | 预算数（原来） | 预算数（现在） | 变化 | 财政资金变化 | 其他资金变化 |",
                      "|---|---:|---:|---:|---:|---:|"]
            for t in p.totals:
                label = ("**" + _md(t.name) + "**") if t.level == "department" else _md(t.name)
                lines.append(f"| {label} | {t.old['total']} | {t.new['total']} | {t.delta['total']} | "
                             f"{t.delta['fiscal']} | {t.delta['other']} |")
            lines.append("")
        for c in p.projects:
            lines += _project_md(c)
    return "\n".join(lines).rstrip() + "\n"


def print_terminal(d: Diff, console) -> None:
    from rich.markup import escape
    from rich.table import Table
    console.print(f"[bold]比较 {escape(d.base)} → {escape(d.head)}[/bold]：{escape(summary_line(d))}")
    colour = {"added": "green", "removed": "red", "changed": "yellow"}
    for p in d.publications:
        console.print(f"\n[bold]{escape(p.name)}[/bold]")
        for c in p.projects:
            tags = "、".join(c.tags)
            console.print(f"  [{colour[c.status]}]{STATUS[c.status]}[/{colour[c.status]}] {escape(c.bookmark)} "
                          f"{escape(c.name)}" + (f"（{tags}）" if tags else "") + f"  [dim]{escape(c.location)}[/dim]")
            if c.old_name is not None:
                console.print(f"      项目名称：{escape(c.old_name)} → {escape(c.name)}")
            if c.old_location is not None:
                console.print(f"      位置：{escape(c.old_location)} → {escape(c.location)}")
            if c.old_file is not None:
                console.print(f"      文件：{escape(c.old_file)} → {escape(c.file)}")
            for f in c.budget:
                console.print(f"      {f.label}：{f.old or '（空）'} → {f.new or '（空）'}（{f.delta}）")
            for f in c.fields:
                console.print(f"      {f.label}：{escape(f.old[:40])} → {escape(f.new[:40])}")
            for status, name, what, old, new in indicator_rows(c):
                name = escape(name.split("/", 1)[1])
                if status == "changed":
                    console.print(f"      指标 {name} 的{what}：{escape(old)} → {escape(new)}")
                elif status == "added":
                    console.print(f"      [green]+ 指标[/green] {name}：{escape(new)}")
                else:
                    console.print(f"      [red]- 指标[/red] {name}：{escape(old)}")
        if p.totals:
            table = Table("部门 / 单位", "预算数（原来）", "预算数（现在）", "变化", title="合计")
            for t in p.totals:
                table.add_row(escape(t.name), t.old["total"], t.new["total"], t.delta["total"])
            console.print(table)
    for a in d.anchors:
        console.print(f"[red]书签稳定性错误：[/red]{escape(a.message)}")

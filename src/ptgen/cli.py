"""The ``ptgen`` command: a thin layer over :mod:`ptgen.api`."""
from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from . import api, lint
from .errors import EXIT_INVALID, EXIT_USAGE, PtgenError, UserError
from .report import Report, Severity

app = typer.Typer(
    name="ptgen",
    help="项目支出绩效目标表：用 YAML 编写、检查错误、生成 Word / 网页 / PDF 出版物。",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode=None,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class OutputFormat(str, Enum):
    human = "human"
    json = "json"
    github = "github"


def _fail(exc: PtgenError) -> None:
    if isinstance(exc, UserError):
        err.print(f"[red]错误：[/red]{escape(exc.message)}")
        if exc.hint:
            err.print(f"提示：{escape(exc.hint)}")
    else:
        err.print(f"[red]错误：[/red]{escape(str(exc))}")
    raise typer.Exit(exc.exit_code)


def _codes(value: Optional[str]) -> set[str] | None:
    return {c.strip().upper() for c in value.split(",") if c.strip()} if value else None


def print_report(report: Report, fmt: OutputFormat, verbose: bool = False) -> None:
    """Show ``report`` as text for people, JSON for scripts, or GitHub workflow annotations."""
    issues = report.sorted()
    if fmt is OutputFormat.json:
        sys.stdout.write(report.to_json() + "\n")
        return
    if fmt is OutputFormat.github:
        level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
        for i in issues:
            msg = i.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            sys.stdout.write(f"::{level[i.severity]} file={i.file},line={i.line},col={i.column},title={i.code}::{msg}\n")
        return
    current = None
    colour = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
    for i in issues:
        if i.severity is Severity.INFO and not verbose:
            continue
        if i.file != current:
            current = i.file
            out.print(f"\n[bold]{escape(i.file)}[/bold]")
        text = f"  ← “{escape(i.text.strip()[:40])}”" if i.text and i.text.strip() and i.text.strip() not in i.message else ""
        out.print(f"  {i.line}:{i.column}  [{colour[i.severity]}]{i.code} {i.severity.label}[/{colour[i.severity]}]  "
                  f"{escape(i.message)}{text}")
    e, w = len(report.errors), len(report.warnings)
    n = len(report.issues) - e - w
    if issues:
        out.print()
    summary = f"{e} 个错误，{w} 个警告，{n} 个提示" + ("。" if verbose or not n else "（加 --verbose 显示提示）。")
    out.print(("[red]" if e else "[green]") + summary + ("[/red]" if e else "[/green]"))


@app.command("check")
def check_cmd(
    path: Annotated[Path, typer.Argument(help="出版物文件夹（含 ptgen.yaml），或包含多个出版物的文件夹。")] = Path("content"),
    format: Annotated[OutputFormat, typer.Option("--format", "-f", help="输出格式：human（默认）、json、github。")] = OutputFormat.human,
    select: Annotated[Optional[str], typer.Option(help="只运行这些规则，逗号分隔，可写前缀，例如 B,C01。")] = None,
    ignore: Annotated[Optional[str], typer.Option(help="不运行这些规则，逗号分隔，例如 V07,D01。")] = None,
    strict: Annotated[bool, typer.Option(help="有警告也按失败处理（退出码 1）。")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="同时列出“提示”级别的问题。")] = False,
) -> None:
    """检查内容：格式错误和常见的填报错误，逐条给出文件、行号和规则代码。有错误时退出码为 1。"""
    try:
        result = api.check(path, _codes(select), _codes(ignore))
    except PtgenError as exc:
        _fail(exc)
    print_report(result.report, format, verbose)
    raise typer.Exit(EXIT_INVALID if result.report.blocks(strict) else 0)


@app.command("import")
def import_cmd(
    sources: Annotated[list[Path], typer.Argument(help="已发布的表格：抽取的文本（.txt）或天津版式的 Word 文件（.docx）。")],
    into: Annotated[Path, typer.Option("--into", help="写入的出版物文件夹；已有的出版物会合并。")],
    force: Annotated[bool, typer.Option("--force", help="允许覆盖内容不同的已有项目文件。")] = False,
    department_name: Annotated[Optional[str], typer.Option(help="新建主管部门时使用的部门名称。")] = None,
    title: Annotated[Optional[str], typer.Option(help="新建出版物时使用的标题。")] = None,
) -> None:
    """把已发布的绩效目标表导入为 YAML 内容文件。不会覆盖已有文件（除非加 --force）；有冲突时什么也不写。"""
    try:
        result = api.import_sources(sources, into, force=force, department_name=department_name, title=title)
    except PtgenError as exc:
        _fail(exc)
    for p in result.written:
        out.print(f"写入 {escape(str(p))}")
    for note in result.notes:
        out.print(f"[yellow]注意：[/yellow]{escape(note)}")
    out.print(f"导入 {result.projects} 个项目：写入 {len(result.written)} 个文件，{len(result.unchanged)} 个文件内容相同未改动。")


@app.command("build")
def build_cmd(
    path: Annotated[Path, typer.Argument(help="出版物文件夹，或包含多个出版物的文件夹。")] = Path("content"),
    out_dir: Annotated[Path, typer.Option("--out", help="输出文件夹。")] = Path("build"),
    formats: Annotated[str, typer.Option("--format", help="输出格式，逗号分隔：docx,html,pdf。")] = "docx,html,pdf",
    strict: Annotated[bool, typer.Option(help="有警告也不生成。")] = False,
    force: Annotated[bool, typer.Option("--force", help="有错误也生成（例如原样重现去年已发布的表格，连同其中的错误）。")] = False,
    update_toc: Annotated[bool, typer.Option("--update-toc", help="用 LibreOffice 排版一遍，把页码填进 Word 目录（较慢）。")] = False,
    verify: Annotated[bool, typer.Option("--verify", help="生成后读回每个文件，核对标题、金额和指标值与 YAML 一致。")] = False,
) -> None:
    """生成出版物（每个主管部门一册，另加全书一册）。先做与 check 相同的检查，有错误时不生成。"""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from . import build as builder

    wanted = [f.strip().lower() for f in formats.split(",") if f.strip()]
    bad = [f for f in wanted if f not in builder.FORMATS]
    if bad or not wanted:
        err.print(f"[red]错误：[/red]不支持的格式 {', '.join(bad) or '（空）'}；可选 docx、html、pdf。")
        raise typer.Exit(EXIT_USAGE)
    try:
        result = api.check(path)
    except PtgenError as exc:
        _fail(exc)
    if result.report.blocks(strict) and not force:
        print_report(result.report, OutputFormat.human)
        err.print("[red]内容有错误，没有生成任何文件。[/red]请先修正上面的错误（ptgen check 可以单独检查），"
                  "或加 --force 原样生成。")
        raise typer.Exit(EXIT_INVALID)
    e, w = len(result.report.errors), len(result.report.warnings)
    failed = False
    for pub in result.publications:
        total = len(pub.departments) + 1
        try:
            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=err, transient=True) as bar:
                task = bar.add_task(escape(pub.root.name), total=total * len(wanted))
                built = builder.build(pub, out_dir, wanted, update_toc=update_toc,
                                      progress=lambda name: bar.advance(task))
        except PtgenError as exc:
            _fail(exc)
        out.print(f"[bold]{escape(pub.settings.title)}[/bold]：{built.tables} 张表，"
                  f"{len(pub.departments)} 个主管部门，用时 {built.seconds:.1f} 秒")
        for o in built.outputs:
            out.print(f"  写入 {escape(str(o.path))}（{len(o.compilation.entries)} 张表，{len(o.data) / 1024:.0f} KB）")
        for note in built.warnings:
            out.print(f"[yellow]注意：[/yellow]{escape(note)}")
        if verify:
            from .verify import verify as verify_outputs
            problems = verify_outputs(built.outputs, pub.settings)
            for p in problems[:20]:
                err.print(f"[red]核对失败：[/red]{escape(str(p))}")
            if problems:
                err.print(f"[red]核对失败：{len(problems)} 处与内容不一致。[/red]")
                failed = True
            else:
                checked = sum(1 for o in built.outputs if o.path.name != "index.html")
                out.print(f"[green]核对通过：[/green]{checked} 个文件的标题、金额和指标值都与内容一致。")
    if e or w:
        colour = "yellow"
        out.print(f"[{colour}]内容有 {e} 个错误、{w} 个警告" + ("（--force：照原样生成）" if e else "")
                  + f"；运行 ptgen check {escape(str(path))} 查看。[/{colour}]")
    if failed:
        raise typer.Exit(EXIT_INVALID)


@app.command("rules")
def rules_cmd() -> None:
    """列出全部检查规则：代码、默认严重程度和说明。"""
    for r in lint.rules():
        out.print(f"{r.code}  {r.severity.label}  {escape(r.title)}")


def main() -> None:
    """Entry point: run the app; a crash prints one line (``PTGEN_DEBUG=1`` for the traceback)."""
    try:
        app(prog_name="ptgen")
    except SystemExit:
        raise
    except Exception as exc:  # a bug, not a user mistake: say so briefly
        if os.environ.get("PTGEN_DEBUG"):
            raise
        err.print(f"[red]ptgen 内部错误：[/red]{escape(type(exc).__name__)}: {escape(str(exc))}（设置 PTGEN_DEBUG=1 查看详情）")
        sys.exit(EXIT_INVALID)

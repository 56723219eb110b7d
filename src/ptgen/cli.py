"""The ``ptgen`` command: a thin layer over :mod:`ptgen.api`."""

import contextlib
import os
import re
import signal
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from . import api, clizh, layouts, lint
from .errors import EXIT_INVALID, EXIT_USAGE, PtgenError, UsageError, UserError
from .output import describe_os_error
from .model import CONTROL_RE
from .report import Report, Severity, excerpt

clizh.install()  # typer's and click's own words (Usage, Options, errors) in Chinese
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


def _codes(value: Optional[str], option: str = "--select") -> set[str] | None:
    """Rule codes or prefixes given to ``option``; one that matches no rule is a usage mistake (exit 2)."""
    codes = {c.strip().upper() for c in value.split(",") if c.strip()} if value else None
    known = sorted([r.code for r in lint.rules()] + ["A01"])  # A01: --against (bookmark stability)
    unknown = sorted(c for c in codes or () if not any(k.startswith(c) for k in known))
    reading = [c for c in unknown if re.fullmatch(r"[FY][0-9]{0,3}", c)]  # F001…, Y001…: see load.py
    if reading:
        raise UsageError(f"{option} 里的 {', '.join(reading)} 是读取文件时发现的问题（F、Y 开头的代码），"
                         "不是规则：它们总会报告，不能用 --select 或 --ignore 选择。",
                         hint="先修正这些问题；--select / --ignore 只用于规则（ptgen rules 列出全部规则）。")
    if unknown:
        raise UsageError(f"{option} 里的规则代码 {', '.join(unknown)} 不存在。",
                         hint=f"可用的规则代码（也可以只写前缀，例如 B 或 C0）：{', '.join(known)}。")
    return codes


def _annotation_property(value: str) -> str:
    """A workflow-command property (file, title), escaped as GitHub's runner expects."""
    return (_annotation_data(value).replace(":", "%3A").replace(",", "%2C"))


def _annotation_data(value: str) -> str:
    """A workflow-command message, escaped as GitHub's runner expects."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def repository_root(path: Path) -> Path:
    """The git work tree holding ``path`` (GitHub annotations name files from there), else the current folder."""
    from . import gitrev
    try:
        return gitrev.repo_root(path)
    except PtgenError:  # not in a git repository, or no git
        return Path.cwd()


def print_report(report: Report, fmt: OutputFormat, verbose: bool = False, path: Path | None = None) -> None:
    """Show ``report`` as text for people, JSON for scripts, or GitHub workflow annotations.

    Human and JSON output name files relative to the current folder; GitHub annotations and the job
    summary relative to the root of the git repository holding ``path``, as GitHub requires."""
    issues = report.sorted()
    if fmt is OutputFormat.json:
        sys.stdout.write(report.to_json() + "\n")
        return
    if fmt is OutputFormat.github:
        root = repository_root(path or Path.cwd())
        level = {Severity.ERROR: "error", Severity.WARNING: "warning"}
        for i in issues:
            if i.severity in level:  # infos go to the job summary only: annotations are for what must be fixed
                sys.stdout.write(f"::{level[i.severity]} file={_annotation_property(i.where(root))},line={i.line},"
                                 f"col={i.column},title={_annotation_property(i.code)}::{_annotation_data(i.message)}\n")
        # GitHub shows at most 10 annotations of each kind per step: the job summary gets all of them.
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            with open(summary, "a", encoding="utf-8") as f:
                f.write(report_markdown(report, root))
        return
    current = None
    colour = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
    for i in issues:
        if i.severity is Severity.INFO and not verbose:
            continue
        if i.where() != current:
            current = i.where()
            out.print(f"\n[bold]{escape(current)}[/bold]")
        text = f"  ← “{escape(_excerpt_for(i))}”" if i.text and i.text.strip() and i.text.strip() not in i.message else ""
        out.print(f"  {i.line}:{i.column}  [{colour[i.severity]}]{i.code} {i.severity.label}[/{colour[i.severity]}]  "
                  f"{escape(i.message)}{text}")
    e, w = len(report.errors), len(report.warnings)
    n = len(report.issues) - e - w
    if issues:
        out.print()
    summary = f"{e} 个错误，{w} 个警告，{n} 个提示" + ("。" if verbose or not n else "（加 --verbose 显示提示）。")
    out.print(("[red]" if e else "[green]") + summary + ("[/red]" if e else "[/green]"))


def _excerpt_for(issue) -> str:
    """The offending text on one line, around the part the message quotes (if it quotes one)."""
    import re
    text = issue.text
    at = None
    for quoted in sorted(re.findall(r"“([^”]+)”", issue.message), key=len, reverse=True):
        part = quoted.strip("…").replace("⏎", "\n")
        if part and part in text:
            at = text.index(part) + (len(part) if quoted.startswith("…") else 0)
            break
    if at is None and (m := CONTROL_RE.search(text)):  # X08: around the invisible character, shown as ␇
        return excerpt(text, 40, m.start())
    if at is None and text.strip() != text:
        return excerpt(text)  # the stray whitespace is the point: keep it (as ⏎) at the side it is on
    return excerpt(text.strip() if at is None else text, 40, at)


def _cell(value: str) -> str:
    """A Markdown table cell of the job summary: HTML escaped (a ``<p>`` in content is text), ``|`` escaped."""
    import html
    return html.escape(value).replace("|", "&#124;").replace("\r\n", "<br>").replace("\n", "<br>").replace("\r", "<br>")


def report_markdown(report: Report, base: Path | None = None) -> str:
    """The whole report as Markdown (for a GitHub job summary): errors and warnings in a table,
    infos in a folded table below it; files relative to ``base`` (default: the current folder)."""
    e, w = len(report.errors), len(report.warnings)
    n = len(report.issues) - e - w
    lines = [f"### ptgen check：{e} 个错误，{w} 个警告，{n} 个提示", ""]
    head = ["| 文件 | 行 | 规则 | 级别 | 说明 |", "|---|---:|---|---|---|"]

    def rows(issues):
        return [f"| {_cell(i.where(base))} | {i.line} | {i.code} | {i.severity.label} | {_cell(i.message)} |"
                for i in issues]
    shown = [i for i in report.sorted() if i.severity is not Severity.INFO]
    if shown:
        lines += head + rows(shown) + [""]
    infos = [i for i in report.sorted() if i.severity is Severity.INFO]
    if infos:
        lines += [f"<details><summary>{n} 个提示</summary>", ""] + head + rows(infos) + ["", "</details>"]
    return "\n".join(lines) + "\n\n"


@app.command("check")
def check_cmd(
    path: Annotated[Path, typer.Argument(help="出版物文件夹（含 ptgen.yaml），或包含多个出版物的文件夹。")] = Path("content"),
    format: Annotated[OutputFormat, typer.Option("--format", "-f", help="输出格式：human（默认）、json、github。")] = OutputFormat.human,
    select: Annotated[Optional[str], typer.Option(help="只运行这些规则，逗号分隔，可写前缀，例如 B,C01。")] = None,
    ignore: Annotated[Optional[str], typer.Option(help="不运行这些规则，逗号分隔，例如 V07,D01。")] = None,
    strict: Annotated[bool, typer.Option(help="有警告也按失败处理（退出码 1）。")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="同时列出“提示”级别的问题。")] = False,
    against: Annotated[Optional[str], typer.Option("--against", help="同时检查书签稳定性：与这个 git 版本相比，已发布的书签不能消失或改指别的项目。")] = None,
) -> None:
    """检查内容：格式错误和常见的填报错误，逐条给出文件、行号和规则代码。有错误时退出码为 1。"""
    _one_pass()
    try:
        if not path.exists():
            raise UsageError(f"找不到 {path}。", hint="check 的参数是出版物文件夹（含 ptgen.yaml），或包含多个出版物的文件夹。")
        result = api.check(path, _codes(select), _codes(ignore, "--ignore"))
        if against:
            result.report.extend(api.anchor_issues(path, against, result.publications))
    except PtgenError as exc:
        _fail(exc)
    print_report(result.report, format, verbose, path)
    raise typer.Exit(EXIT_INVALID if result.report.blocks(strict) else 0)


@app.command("import")
def import_cmd(
    sources: Annotated[list[Path], typer.Argument(help="已发布的表格：抽取的文本（.txt）、Word 文件（.docx），或 ptgen 格式的 Excel 工作簿（.xlsx）。")],
    into: Annotated[Path, typer.Option("--into", help="写入的出版物文件夹；已有的出版物会合并。")],
    force: Annotated[bool, typer.Option("--force", help="允许覆盖内容不同的已有项目文件，并在已有的 ptgen.yaml、"
                                                        "department.yaml、unit.yaml 的列表里加入新条目（注释保留）。")] = False,
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
    formats: Annotated[str, typer.Option("--format", help="输出格式，逗号分隔：docx,html,pdf,xlsx,csv。")] = "docx,html,pdf",
    strict: Annotated[bool, typer.Option(help="有警告也不生成。")] = False,
    force: Annotated[bool, typer.Option("--force", help="有错误也生成（例如原样重现去年已发布的表格，连同其中的错误）。")] = False,
    update_toc: Annotated[Optional[bool], typer.Option(
        "--update-toc/--no-update-toc",
        help="用 LibreOffice 排版一遍，把页码填进 Word 目录（默认：装有 LibreOffice 时填写；--no-update-toc 不填，"
             "Word / WPS 打开时更新）。")] = None,
    verify: Annotated[bool, typer.Option("--verify", help="生成后读回每个文件，逐字核对每张表的标题和每个单元格的文字与 YAML 一致。")] = False,
    shard: Annotated[Optional[str], typer.Option("--shard", help="只生成第 K 份（共 N 份，按表格数均分部门），写成 K/N；"
                                                               "再用 ptgen assemble 把各份拼成出版物。")] = None,
) -> None:
    """生成出版物（每个主管部门一册，另加全书一册）。先做与 check 相同的检查，有错误时不生成。"""
    _one_pass()
    wanted = [f.strip().lower() for f in formats.split(",") if f.strip()]
    try:
        from .shard import parse as parse_shard
        part = parse_shard(shard) if shard is not None else None
    except PtgenError as exc:
        _fail(exc)
    # SIGTERM (a CI job cancelled, `kill`) stops the build as Ctrl-C does: the render processes and
    # temporary folders go, --out keeps a complete set, and the exit code says which signal it was.
    previous = signal.signal(signal.SIGTERM, _terminate) if _main_thread() else None
    try:
        try:
            run = api.build(path, out_dir, wanted, strict=strict, force=force, update_toc=update_toc, verify=verify,
                            on_wait=lambda msg: err.print(escape(msg)), progress=_progress, shard=part)
        except PtgenError as exc:
            _fail(exc)
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        err.print(f"[red]已中断（{signal.Signals(signum).name}）。[/red]{escape(str(out_dir))} 里没有写了一半的文件："
                  "是上一次完整生成的结果（或这次的，如果中断时已经写完）。")
        raise typer.Exit(128 + signum)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    _print_build(run, path)


@app.command("serve")
def serve_cmd(
    path: Annotated[Path, typer.Argument(help="出版物文件夹（含 ptgen.yaml）。")] = Path("content"),
    port: Annotated[int, typer.Option("--port", help="端口；0 由系统选一个空闲端口。")] = 8000,
    host: Annotated[str, typer.Option("--host", help="监听的地址。默认只有本机能访问；其他地址（例如 0.0.0.0）要明确指定。")] = "127.0.0.1",
    out_dir: Annotated[Path, typer.Option("--out", help="PDF 缓存所在的输出文件夹（与 build 的 --out 相同，共用缓存）。")] = Path("build"),
) -> None:
    """在浏览器里预览网页版：保存文件后页面自动刷新，并显示检查结果。按 Ctrl+C 结束。"""
    from . import serve

    def ready(address: str) -> None:
        out.print(f"预览地址：{address}（保存文件后页面自动刷新；按 Ctrl+C 结束）")
        sys.stdout.flush()
    if not serve.loopback(host):
        err.print(f"[yellow]注意：[/yellow]--host {escape(host)} 让同一网络里的其他电脑也能打开这个预览（包括未发布的预算数）；"
                  "只在本机预览时不要加 --host。")
    try:
        serve.serve(path, host=host, port=port, out_dir=out_dir, on_ready=ready)
    except PtgenError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        pass
    out.print("预览已结束。")


@app.command("assemble")
def assemble_cmd(
    parts: Annotated[list[Path], typer.Argument(help="ptgen build --shard K/N 生成的各个部分文件夹，每份一个。")],
    out_dir: Annotated[Path, typer.Option("--out", help="输出文件夹。")] = Path("build"),
    verify: Annotated[bool, typer.Option("--verify", help="拼合后读回每个文件，逐字核对每张表的标题和每个单元格的文字。")] = False,
) -> None:
    """把 ptgen build --shard K/N 生成的各部分拼成出版物（全书 DOCX、PDF、网页目录），与一次生成的结果逐字节相同。"""
    _one_pass()
    try:
        run = api.assemble(parts, out_dir, verify=verify, on_wait=lambda msg: err.print(escape(msg)))
    except PtgenError as exc:
        _fail(exc)
    _print_build(run, None)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C's KeyboardInterrupt so that every ``finally`` runs."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _terminate(signum, frame) -> None:
    raise _Terminated(signum)


def _main_thread() -> bool:
    import threading
    return threading.current_thread() is threading.main_thread()


def _print_build(run: "api.BuildRun", path: Path | None) -> None:
    """What a build did; ``path`` is the content it checked (None: the content the parts of
    ``assemble`` were built from)."""
    from .build import table_count
    from .output import data_size
    report = run.check.report
    if run.blocked:
        print_report(report, OutputFormat.human)
        if run.check.unloadable:
            err.print(f"[red]{escape('、'.join(str(p) for p in run.check.unloadable))} 无法读取（设置或版式定义有错误），"
                      "没有生成任何文件。[/red]--force 也不能生成它：请先修正上面的错误。")
        else:
            err.print("[red]内容有错误，没有生成任何文件。[/red]请先修正上面的错误（ptgen check 可以单独检查），"
                      "或加 --force 原样生成。")
        raise typer.Exit(EXIT_INVALID)
    e, w = len(report.errors), len(report.warnings)
    failed = False
    for b in run.built:
        pub, built = b.publication, b.result
        if run.up_to_date:
            out.print(f"[bold]{escape(pub.settings.title)}[/bold]：{built.tables} 张表，输出已是最新"
                      "（内容、设置、模板和 ptgen 都没有变，输出文件也没有改动），没有重新生成。")
        else:
            out.print(f"[bold]{escape(pub.settings.title)}[/bold]：{built.tables} 张表，"
                      f"{len(pub.departments)} 个主管部门，用时 {built.seconds:.1f} 秒")
        for o in ([] if run.up_to_date else built.outputs):
            out.print(f"  写入 {escape(str(o.path))}（{table_count(pub, o.compilation)} 张表，{data_size(o.data) / 1024:.0f} KB）")
        for note in built.warnings:
            out.print(f"[yellow]注意：[/yellow]{escape(note)}")
        if b.problems is not None:
            for p in b.problems[:20]:
                err.print(f"[red]核对失败：[/red]{escape(str(p))}")
            if b.problems:
                err.print(f"[red]核对失败：{len(b.problems)} 处与内容不一致。[/red]")
                failed = True
            else:
                from .verify import FORMATS  # the formats --verify reads back (not xlsx and csv: data, no tables)
                checked = sum(1 for o in built.outputs if o.format in FORMATS and o.path.name != "index.html")
                out.print(f"[green]核对通过：[/green]{checked} 个文件里每张表的标题和单元格文字都与内容一致。")
    if e or w:
        colour = "yellow"
        out.print(f"[{colour}]内容有 {e} 个错误、{w} 个警告" + ("（--force：照原样生成）" if e else "")
                  + (f"；运行 ptgen check {escape(str(path))} 查看。" if path is not None
                     else "；在生成这些部分的内容文件夹上运行 ptgen check 查看。") + f"[/{colour}]")
    if failed:
        raise typer.Exit(EXIT_INVALID)


@contextlib.contextmanager
def _progress(pub, total: int):
    """Progress of one publication's build: a bar on a terminal, else (CI, a log file) one plain
    line per phase and department with the time."""
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    if not err.is_terminal:
        start = time.perf_counter()

        def line(name: str) -> None:
            err.print(f"[{time.perf_counter() - start:6.1f}s] {pub.name} {name} 完成", markup=False)
        yield line
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task(escape(pub.name), total=total)
        yield lambda name: bar.advance(task)


@app.command("fmt")
def fmt_cmd(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="内容文件或文件夹（默认 content）。")] = None,
    check: Annotated[bool, typer.Option("--check", help="只列出需要整理的文件，不改动；有需要整理的文件时退出码为 1。")] = False,
) -> None:
    """把内容文件整理成统一格式（字段顺序、引号、缩进），保留注释；整理后的文件只在内容变化时才有差异。"""
    from .fmt import fmt
    paths = paths or [Path("content")]
    missing = [p for p in paths if not p.exists()]
    if missing:
        err.print(f"[red]错误：[/red]找不到 {escape(', '.join(map(str, missing)))}。")
        raise typer.Exit(EXIT_USAGE)
    result = fmt(paths, check=check)
    for f, why in result.skipped:
        out.print(f"跳过 {escape(str(f))}：{why}（未整理）")
    for f, problem in result.problems:
        err.print(f"[red]{escape(str(f))}:{problem.line}:{problem.column}[/red] {problem.code} {escape(problem.message)}（未整理）")
    for f in result.changed:
        out.print(("需要整理 " if check else "已整理 ") + escape(str(f)))
    n = len(result.changed)
    if check:
        out.print(f"{n} 个文件需要整理，{len(result.unchanged)} 个文件格式已统一。" if n else
                  f"{len(result.unchanged)} 个文件格式都已统一。")
    else:
        out.print(f"整理了 {n} 个文件，{len(result.unchanged)} 个文件本来就是统一格式。")
    raise typer.Exit(EXIT_INVALID if result.problems or (check and n) else 0)


class SchemaKind(str, Enum):
    project = "project"
    agency = "agency"
    unit = "unit"
    department = "department"
    publication = "publication"
    layout = "layout"


@app.command("schema")
def schema_cmd(
    kind: Annotated[SchemaKind, typer.Option("--kind", help="project（项目文件，默认）、agency（unit.yaml 或 department.yaml）、"
                                                             "unit、department、publication（ptgen.yaml）、layout（版式定义）。")] = SchemaKind.project,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="写入文件而不是打印。")] = None,
    force: Annotated[bool, typer.Option("--force", help="允许覆盖已有的 --output 文件。")] = False,
) -> None:
    """打印内容文件的 JSON Schema（中文标题和说明），供 VS Code 的 YAML 插件自动补全和检查。"""
    from .errors import UsageError
    from .output import write_bytes
    from .schema import schema_json
    text = schema_json(kind.value)
    if output:
        if output.is_dir():
            _fail(UserError(f"{output} 是一个文件夹，--output 要给出文件名，例如 {output / (kind.value + '.schema.json')}。"))
        if output.exists() and not force:
            _fail(UsageError(f"{output} 已存在，没有改动（加 --force 覆盖）。"))
        write_bytes(output, text.encode("utf-8"))
        out.print(f"写入 {escape(str(output))}")
    else:
        sys.stdout.write(text)


class NewKind(str, Enum):
    project = "project"
    agency = "agency"
    workbook = "workbook"


@app.command("new")
def new_cmd(
    kind: Annotated[NewKind, typer.Argument(help="project：在预算单位文件夹里新建项目；agency：在出版物里新建主管部门，"
                                                  "或在主管部门里新建预算单位；workbook：给预算单位一个空的 Excel 填报工作簿。")],
    folder: Annotated[Path, typer.Argument(help="预算单位文件夹（project、workbook），或出版物 / 主管部门文件夹（agency、workbook）。")],
    name: Annotated[Optional[str], typer.Option("--name", help="项目名称或单位名称（project、agency 必填）。")] = None,
    code: Annotated[Optional[str], typer.Option("--code", help="单位编码（agency），例如 353217；文件夹以它命名。")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="工作簿的文件名（workbook），默认 <单位文件夹>.xlsx（有几个单位时 <出版物文件夹>.xlsx）。")] = None,
) -> None:
    """新建一个格式正确的项目文件或单位文件，带下一个可用的书签名，并登记到上一级的列表里；或一个空的填报工作簿。不覆盖已有文件。"""
    from .scaffold import new_agency, new_project, new_workbook
    try:
        if kind is NewKind.workbook:
            target = new_workbook(folder, output)
        elif name is None:  # required for project and agency: the parser's own message, in Chinese
            from typer._click.exceptions import MissingParameter
            from typer._click.globals import get_current_context
            raise MissingParameter(ctx=get_current_context(), param_type="option", param_hint="'--name'")
        else:
            target = new_project(folder, name) if kind is NewKind.project else new_agency(folder, code, name)
    except PtgenError as exc:
        _fail(exc)
    out.print(f"写入 {escape(str(target))}")
    if kind is NewKind.workbook:
        out.print(f"填好“项目”和“指标”两个工作表后，用 ptgen import {escape(str(target))} --into 出版物文件夹 --force 导入（--force 让新项目加入单位已有的项目列表，注释照旧保留）。")
    else:
        out.print("填好各项后运行 ptgen check 检查。")


@app.command("init")
def init_cmd(
    folder: Annotated[Path, typer.Argument(help="新出版物的文件夹（不存在则新建）。")],
    layout: Annotated[str, typer.Option("--layout", help="版式名称（ptgen layouts 列出全部）。")],
    year: Annotated[Optional[str], typer.Option("--year", help="预算年度，例如 2026；默认今年。")] = None,
    title: Annotated[Optional[str], typer.Option("--title", help="出版物标题。")] = None,
    region: Annotated[Optional[str], typer.Option("--region", help="地区，例如 天津市。")] = None,
    issuer: Annotated[Optional[str], typer.Option("--issuer", help="封面上的发布单位，例如 天津市人力资源和社会保障局。")] = None,
    date: Annotated[Optional[str], typer.Option("--date", help="封面上的发布日期，照写的样子，例如 2025年1月。")] = None,
) -> None:
    """新建一个出版物：写入带有版式默认设置的 ptgen.yaml。不覆盖已有的出版物。"""
    import datetime

    from .scaffold import init_publication
    try:
        target = init_publication(folder, layout, year or str(datetime.date.today().year), title, region, issuer, date)
    except PtgenError as exc:
        _fail(exc)
    out.print(f"写入 {escape(str(target))}")
    out.print(f"接着用 ptgen new agency {escape(str(folder))} --code 编码 --name 名称 新建主管部门。")


class DiffFormat(str, Enum):
    terminal = "terminal"
    markdown = "markdown"
    json = "json"
    docx = "docx"


@app.command("diff")
def diff_cmd(
    base: Annotated[Optional[str], typer.Argument(help="比较的起点版本（默认：与默认分支的合并基点）；或去年的出版物文件夹。")] = None,
    head: Annotated[Optional[str], typer.Argument(help="比较的终点版本（默认：工作区，包括未提交的修改）；或今年的出版物文件夹。")] = None,
    path: Annotated[Path, typer.Option("--path", help="内容文件夹。")] = Path("content"),
    format: Annotated[DiffFormat, typer.Option("--format", "-f", help="terminal（默认）、markdown（贴到合并请求）、json、docx（修订模式）。")] = DiffFormat.terminal,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="写入文件（docx 必须指定）。")] = None,
    force: Annotated[bool, typer.Option("--force", help="允许覆盖已有的输出文件。")] = False,
    allow_removed: Annotated[bool, typer.Option("--allow-removed", help="项目确实删除了：不把消失的书签当作错误。")] = False,
) -> None:
    """比较两个版本的内容，或两个出版物（例如去年和今年的）：哪些项目、金额、指标变了。书签消失或改指别的项目时退出码为 1。"""
    from .diffout import markdown, print_terminal
    from .output import write_bytes
    try:
        if format is DiffFormat.docx and output is None:
            raise UserError("--format docx 需要 --output 文件名。", exit_code=EXIT_USAGE)
        if format is DiffFormat.terminal and output is not None:
            raise UserError("--output 只用于 --format markdown、json 或 docx；终端格式直接显示在屏幕上。",
                            exit_code=EXIT_USAGE)
        if output is not None and output.is_dir():
            raise UserError(f"--output {output} 是一个文件夹；请给出要写入的文件名，例如 {output / 'diff.md'}。")
        if output is not None and output.exists() and not force:
            raise UserError(f"{output} 已经存在；加 --force 覆盖。", exit_code=EXIT_USAGE)
        publications = [r for r in (base, head) if r is not None and api.is_publication(Path(r))]
        if not path.exists() and not publications:
            raise UserError(f"找不到内容文件夹 {path}。", exit_code=EXIT_USAGE)
        folders = publications
        if folders:  # two publications (last year's and this year's), not two revisions
            others = [r for r in (base, head) if r is not None and r not in folders]
            if others:  # name the one at fault
                what = f"{others[0]} 不是出版物文件夹（里面没有 ptgen.yaml）" if Path(others[0]).exists() else f"找不到 {others[0]}"
                raise UsageError(f"{what}：比较两个出版物时，要给出两个出版物文件夹（各含 ptgen.yaml）。",
                                 hint=api.TWO_PUBLICATIONS_HINT)
            if len(folders) != 2:
                raise UsageError(f"{folders[0]} 是出版物文件夹：比较两个出版物时，要给出两个出版物文件夹（各含 ptgen.yaml）。",
                                 hint=api.TWO_PUBLICATIONS_HINT)
            if format is DiffFormat.docx:
                raise UsageError("--format docx（修订模式）只用于比较同一出版物的两个 git 版本；比较两个出版物请用 terminal、markdown 或 json。")
            result = api.diff_publications(Path(base), Path(head))
        elif format is DiffFormat.docx:
            result, data = api.redline(path, base, head, allow_removed=allow_removed)
            write_bytes(output, data)
            out.print(f"写入 {escape(str(output))}（修订模式，作者 ptgen）")
        else:
            result = api.diff(path, base, head, allow_removed=allow_removed)
    except PtgenError as exc:
        _fail(exc)
    if format is DiffFormat.markdown or format is DiffFormat.json:
        text = markdown(result) if format is DiffFormat.markdown else result.to_json() + "\n"
        if output:
            write_bytes(output, text.encode("utf-8"))
            out.print(f"写入 {escape(str(output))}")
        else:
            sys.stdout.write(text)
    elif format is DiffFormat.terminal:
        print_terminal(result, out)
    raise typer.Exit(EXIT_INVALID if result.anchors else 0)


class BookmarkMode(str, Enum):
    keep = "keep"
    new = "new"


@app.command("rollover")
def rollover_cmd(
    source: Annotated[Path, typer.Argument(help="今年的出版物文件夹（含 ptgen.yaml）。")],
    dest: Annotated[Path, typer.Argument(help="新出版物的文件夹（不能已存在，除非加 --force）。")],
    year: Annotated[Optional[int], typer.Option("--year", help="新的预算年度，例如 2026；默认下一年。")] = None,
    empty_amounts: Annotated[bool, typer.Option("--empty-amounts", help="清空所有金额（预算数等），留待填写；默认照旧保留。")] = False,
    bookmarks: Annotated[BookmarkMode, typer.Option("--bookmarks", help="keep（默认）：书签名照旧；new：按 ptgen.yaml 的书签命名规则从 1 起重新编号。")] = BookmarkMode.keep,
    report: Annotated[Optional[Path], typer.Option("--report", help="把改动清单另存为 Markdown 文件（可贴到合并请求里）。")] = None,
    force: Annotated[bool, typer.Option("--force", help="允许写入已存在的文件夹（覆盖其中同名的文件），以及覆盖已有的 --report 文件。")] = False,
) -> None:
    """转入下一年度：由今年的出版物生成明年的，改动预算年度，逐处列出改动和需要人工核对的年份。"""
    from .output import write_bytes
    from .rollover import markdown, terminal_lines
    try:
        if report is not None and any(report.resolve().is_relative_to(p.resolve()) for p in (source, dest)):
            # it would replace a file of the publication just written (or of the source) with the report
            raise UsageError(f"--report {report} 在出版物文件夹 {source} 或 {dest} 里；报告要写在出版物之外，没有写入任何文件。",
                             hint=f"例如 --report {dest.resolve().parent / 'rollover.md'}。")
        if report is not None and report.is_dir():
            raise UsageError(f"--report {report} 是一个文件夹；请给出文件名，例如 {report / 'rollover.md'}。")
        if report is not None and report.exists() and not force:
            raise UsageError(f"{report} 已经存在；加 --force 覆盖。")
        if not source.exists():
            raise UsageError(f"找不到 {source}。")
        result = api.rollover(source, dest, year, empty_amounts=empty_amounts, new_bookmarks=bookmarks is BookmarkMode.new,
                          force=force)
    except PtgenError as exc:
        _fail(exc)
    for line in terminal_lines(result):
        out.print(escape(line))
    if report is not None:
        try:
            write_bytes(report, markdown(result).encode("utf-8"))
        except (UserError, OSError) as exc:  # the publication is written: say so, or a second run meets “已经存在”
            why = exc.message if isinstance(exc, UserError) else describe_os_error(exc)
            _fail(UserError(f"新出版物 {dest} 已经写好（改动见上面），只是报告没有写成：{why}",
                            hint=f"要报告文件：删掉 {dest}，换一个 --report 位置重新运行；或直接复制上面的改动清单。"))
        out.print(f"写入 {escape(str(report))}")
    out.print(f"接着人工核对上面列出的年份，然后运行 ptgen check {escape(str(dest))}。")


class ListFormat(str, Enum):
    human = "human"
    json = "json"


@app.command("layouts")
def layouts_cmd(
    name: Annotated[Optional[str], typer.Argument(help="版式名称：打印它的单元格示意图。不写则列出全部版式。")] = None,
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="human（默认）或 json。")] = ListFormat.human,
) -> None:
    """列出 ptgen 认识的版式（各地的表样），或打印一个版式的单元格示意图。"""
    import json

    known = layouts.builtin_names()
    if name is not None:
        if name not in known:
            _fail(UsageError(f"没有名为“{name}”的版式。已有的版式：{'、'.join(known)}。"))
        sys.stdout.write(layouts.cell_map(layouts.get(name)))
        return
    items = [layouts.get(n) for n in known]
    if format is ListFormat.json:
        sys.stdout.write(json.dumps([{"name": l.name, "title": l.title, "description": l.description} for l in items],
                                    ensure_ascii=False, indent=2) + "\n")
        return
    for l in items:
        out.print(f"[bold]{escape(l.name)}[/bold]  {escape(l.title)}")
        out.print(f"    {escape(l.description)}")


@app.command("rules")
def rules_cmd() -> None:
    """列出全部检查规则：代码、默认严重程度和说明。"""
    for r in lint.rules():
        out.print(f"{r.code}  {r.severity.label}  {escape(r.title)}")


def _one_pass() -> None:
    """For the commands that load a whole publication and end (check, build, assemble): no cyclic
    collector for the rest of the process.  Loading and checking run without it anyway; turned back
    on, its first collection walked the whole model (~0.4 s after a 10,000-table check) to find
    nothing.  The other commands keep it (fmt's and import's round trips make cycles)."""
    import gc
    gc.disable()


def _leave(done: SystemExit) -> None:
    """Exit with ``done``'s code without tearing the process down object by object: after a big
    check or build that is a third of a second (10,000 tables) spent freeing what the system frees
    at once.  Everything ptgen writes is closed by then; only the standard streams need flushing."""
    code = done.code
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe (ptgen check | head): nothing more to say
        pass
    os._exit(code or 0)


def main() -> None:
    """Entry point: run the app; a crash prints one line (``PTGEN_DEBUG=1`` for the traceback)."""
    try:
        app(prog_name="ptgen")
    except SystemExit as done:
        _leave(done)
    except OSError as exc:  # the environment (disk full, read-only, no permission, a folder in the way), not a bug
        if os.environ.get("PTGEN_DEBUG"):
            raise
        err.print(f"[red]错误：[/red]{escape(describe_os_error(exc))}")
        sys.exit(EXIT_INVALID)
    except Exception as exc:  # a bug, not a user mistake: say so briefly
        if os.environ.get("PTGEN_DEBUG"):
            raise
        err.print(f"[red]ptgen 内部错误：[/red]{escape(type(exc).__name__)}: {escape(str(exc))}（设置 PTGEN_DEBUG=1 查看详情）")
        sys.exit(EXIT_INVALID)

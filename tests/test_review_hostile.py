"""A hostile second read of the day's merges (rollover, diff, spreadsheets, serve, the rule
catalogue): each user mistake found gives a clear Chinese message and loses nothing."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import CONTENT


def ptgen(cwd: Path, *args, timeout: float = 300):
    return subprocess.run([sys.executable, "-m", "ptgen", *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


# Runs ptgen and writes its own peak resident memory (VmHWM, KB) last on stderr.  Not getrusage:
# a child's ru_maxrss starts from its parent's (the pytest process, over 1 GB in a full run),
# since Linux carries it across fork and exec; VmHWM belongs to the process's own memory.
# ptgen's main() leaves with os._exit (no tear-down, no atexit): the peak is written there too.
_PEAK = """
import atexit, os, runpy, sys
def _peak():
    kb = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM"))
    sys.stderr.write("\\nPEAK " + kb + "\\n")
    sys.stderr.flush()
atexit.register(_peak)
_exit = os._exit
os._exit = lambda code: (_peak(), _exit(code))
sys.argv = ["ptgen", *sys.argv[1:]]
runpy.run_module("ptgen", run_name="__main__")
"""


def ptgen_peak(cwd: Path, *args) -> tuple[subprocess.CompletedProcess, int]:
    """``ptgen`` run as above, with its own peak memory (KB)."""
    r = subprocess.run([sys.executable, "-c", _PEAK, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                       timeout=300)
    err, _, peak = r.stderr.rpartition("\nPEAK ")
    return subprocess.CompletedProcess(r.args, r.returncode, r.stdout, err), int(peak)


def clean(r) -> None:
    """A user's mistake: exit 1 or 2, a message, no traceback, no internal error."""
    assert r.returncode in (1, 2), (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "内部错误" not in r.stderr, r.stderr
    assert "错误：" in r.stderr, r.stderr


@pytest.fixture
def central(tmp_path) -> Path:
    shutil.copytree(CONTENT / "central-2025", tmp_path / "central-2025")
    return tmp_path


@pytest.mark.parametrize("report", ["central-2026/ptgen.yaml", "central-2026", "central-2025/ptgen.yaml"])
def test_rollover_report_inside_the_new_or_old_publication_is_refused_before_writing(central, report):
    """--report central-2026/ptgen.yaml overwrote the publication rollover had just written (without
    --force); --report central-2026 failed only after the publication was written; with --force the
    source's own ptgen.yaml was replaced by the report."""
    source = (central / "central-2025" / "ptgen.yaml").read_bytes()
    r = ptgen(central, "rollover", "central-2025", "central-2026", "--report", report, "--force")
    clean(r)
    assert "--report" in r.stderr and report in r.stderr, r.stderr
    assert not (central / "central-2026").exists()
    assert (central / "central-2025" / "ptgen.yaml").read_bytes() == source


@pytest.mark.parametrize("port", ["99999", "-5"])
def test_serve_port_out_of_range_is_a_usage_error(central, port):
    """--port 99999 was "ptgen 内部错误：OverflowError"."""
    r = ptgen(central, "serve", "central-2025", "--port", port, timeout=60)
    clean(r)
    assert r.returncode == 2 and "--port" in r.stderr and "65535" in r.stderr, r.stderr


def test_serve_cannot_listen_says_why_in_chinese(central):
    """The operating system's English (“Address already in use”, “Name or service not known”) was
    the message, and every failure was blamed on a port in use."""
    import socket
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        r = ptgen(central, "serve", "central-2025", "--port", port, timeout=60)
    clean(r)
    assert f"端口 {port} 已被占用" in r.stderr and "Address already in use" not in r.stderr, r.stderr
    r = ptgen(central, "serve", "central-2025", "--host", "no-such-host.invalid", "--port", "0", timeout=60)
    clean(r)
    assert "no-such-host.invalid" in r.stderr and "not known" not in r.stderr and "已被占用" not in r.stderr, r.stderr


def test_serve_on_every_address_warns_that_other_computers_can_see_it(central):
    """--host 0.0.0.0 served the unpublished budget to the whole network without a word."""
    import signal
    proc = subprocess.Popen([sys.executable, "-m", "ptgen", "serve", "central-2025", "--host", "0.0.0.0", "--port", "0",
                             "--out", str(central / "out")], cwd=central, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "预览地址" in line, line + proc.stderr.read()
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    assert "其他电脑" in stderr and "0.0.0.0" in stderr, stderr


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    """The workbook ptgen writes for central-2025."""
    root = tmp_path_factory.mktemp("book")
    shutil.copytree(CONTENT / "central-2025", root / "central-2025")
    r = ptgen(root, "build", "central-2025", "--format", "xlsx", "--out", "out")
    assert r.returncode == 0, r.stderr
    return root / "out" / "xlsx" / "central-2025" / "central-2025.xlsx"


def test_import_of_an_old_excel_or_word_file_says_to_save_it_as_xlsx(tmp_path):
    """An .xls went to the text importer: “文件不是 UTF-8 编码的文本”."""
    for name in ("table.xls", "table.et", "table.doc", "table.xlsb"):
        (tmp_path / name).write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
        r = ptgen(tmp_path, "import", name, "--into", "pub")
        clean(r)
        assert name in r.stderr and "另存为" in r.stderr and "UTF-8" not in r.stderr, r.stderr
        assert not (tmp_path / "pub").exists()


def test_import_of_a_macro_enabled_workbook_reads_it_as_a_workbook(tmp_path, workbook):
    """An .xlsm (the same workbook, saved with macros allowed) went to the text importer."""
    shutil.copy(workbook, tmp_path / "book.xlsm")
    r = ptgen(tmp_path, "import", "book.xlsm", "--into", "pub")
    assert r.returncode == 0, r.stderr
    assert "导入 2 个项目" in r.stdout, r.stdout


def test_build_of_spreadsheets_counts_their_tables(central):
    """A build of xlsx or csv alone said “（0 张表，11 KB）” of every file: the compilations of a
    build without layout carry no entries."""
    r = ptgen(central, "build", "central-2025", "--format", "xlsx,csv", "--out", "out")
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stdout.splitlines() if "写入" in l]
    assert len(lines) == 5, r.stdout
    assert all("（2 张表" in l for l in lines), r.stdout


@pytest.mark.parametrize("other, said", [("elsewhere", "找不到 elsewhere"), ("plain", "plain 不是出版物文件夹")])
def test_diff_of_a_publication_and_something_else_names_the_other(central, other, said):
    """ptgen diff central-2025 plain said “central-2025 是出版物文件夹…”: the folder at fault was not named."""
    (central / "plain").mkdir()
    for args in (("central-2025", other), (other, "central-2025")):
        r = ptgen(central, "diff", *args)
        clean(r)
        assert said in r.stderr, r.stderr


def _pad_sheet(workbook: Path, out: Path, sheet_name: str, rows: int, text: str) -> Path:
    """``workbook`` with ``rows`` more rows in ``sheet_name``, each only ``text`` in column L
    (written straight into the sheet's XML: openpyxl would take minutes for a million rows)."""
    import re
    import zipfile
    zin = zipfile.ZipFile(workbook)
    wbx, rels = zin.read("xl/workbook.xml").decode(), zin.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet [^>]*name="{sheet_name}"[^>]*/>', wbx).group(0)
    rid = re.search(r'r:id="([^"]+)"', rid).group(1)
    target = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*/>', rels).group(0)
    target = "xl/" + re.search(r'Target="([^"]+)"', target).group(1).lstrip("/").removeprefix("xl/")
    head, rest = zin.read(target).decode().split("<sheetData>", 1)
    data, tail = rest.split("</sheetData>", 1)
    last = max(int(x) for x in re.findall(r'<row r="(\d+)"', data))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != target:
                zout.writestr(info, zin.read(info.filename))
                continue
            with zout.open(target, "w", force_zip64=True) as f:
                f.write((re.sub(r'<dimension ref="[^"]+"/>', "", head) + "<sheetData>" + data).encode())
                for start in range(last + 1, last + rows + 1, 10000):
                    f.write("".join(f'<row r="{r}"><c r="L{r}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c></row>'
                                    for r in range(start, min(start + 10000, last + rows + 1))).encode())
                f.write(("</sheetData>" + tail).encode())
    return out


@pytest.mark.parametrize("sheet_name", ["项目", "指标"])
def test_import_takes_rows_of_spaces_for_empty_rows(tmp_path, workbook, sheet_name):
    """A row holding only a space (a cell a clerk “cleared” with the space bar) was an indicator of
    no project: “这一行的项目“”（单位“”）在“项目”工作表里找不到”."""
    book = _pad_sheet(workbook, tmp_path / "book.xlsx", sheet_name, 3, " ")
    r = ptgen(tmp_path, "import", book.name, "--into", "pub")
    assert r.returncode == 0, r.stderr
    assert "导入 2 个项目" in r.stdout, r.stdout


def test_import_of_a_sheet_full_to_its_last_row_stops_reading_after_the_listed_errors(tmp_path, workbook):
    """A sheet with a stray mark in each of its 1,048,576 rows was read whole into memory (650 MB
    and a minute for one column) and every row's error kept; reading stops once MAX_ERRORS are found."""
    from ptgen.importers.xlsx import MAX_ERRORS
    book = _pad_sheet(workbook, tmp_path / "book.xlsx", "指标", 1_048_576 - 20, "x")
    r, peak = ptgen_peak(tmp_path, "import", book.name, "--into", "pub")
    clean(r)
    assert r.stderr.count("找不到") == MAX_ERRORS, r.stderr
    assert "后面的行没有再读" in r.stderr and "另有" not in r.stderr, r.stderr
    assert peak < 300_000, f"{peak} KB"
    assert not (tmp_path / "pub").exists()


def test_import_of_a_projects_sheet_full_to_its_last_row_stops_reading(tmp_path, workbook):
    """The same on the 项目 sheet, whose rows are kept for a second pass: rows of no project are
    not kept past MAX_ERRORS."""
    book = _pad_sheet(workbook, tmp_path / "book.xlsx", "项目", 1_048_576 - 3, "x")
    r, peak = ptgen_peak(tmp_path, "import", book.name, "--into", "pub")
    clean(r)
    assert "没有再读" in r.stderr, r.stderr
    assert peak < 300_000, f"{peak} KB"


def test_import_of_the_empty_workbook_new_gives_writes_nothing(central):
    """The workbook of `ptgen new workbook`, imported before anyone filled it in, made a publication
    of no project (“导入 0 个项目：写入 1 个文件”)."""
    r = ptgen(central, "new", "workbook", "central-2025/360/360013", "-o", "empty.xlsx")
    assert r.returncode == 0, r.stderr
    r = ptgen(central, "import", "empty.xlsx", "--into", "pub")
    clean(r)
    assert "empty.xlsx" in r.stderr and "项目!" in r.stderr and "没有项目" in r.stderr, r.stderr
    assert not (central / "pub").exists()


def test_check_of_a_value_of_spaces_only_says_so(central):
    """X01 on a value of spaces alone quoted nothing: “”的开头和结尾有多余的空格。"""
    f = central / "central-2025" / "360" / "360013" / "出国留学服务.yaml"
    text = f.read_text(encoding="utf-8")
    assert "\n    value: 逐步提升\n" in text
    f.write_text(text.replace("\n    value: 逐步提升\n", '\n    value: "\u3000 "\n'), encoding="utf-8")
    r = ptgen(central, "check", "central-2025")
    lines = [l for l in r.stdout.splitlines() if " X01 " in l]
    assert lines and not any("“”" in l for l in lines), r.stdout
    assert any("只有空格" in l for l in lines), lines


def test_new_workbook_says_the_import_command_that_works(central):
    """`new workbook` told the clerk to run `ptgen import FILE --into 出版物文件夹`, which is refused
    for the unit's own publication (its unit.yaml must list the new project: --force, as the README says)."""
    import re
    import openpyxl
    r = ptgen(central, "new", "workbook", "central-2025/360/360013", "-o", "fill.xlsx")
    assert r.returncode == 0, r.stderr
    command = re.search(r"用 (ptgen import .*?) 导入", r.stdout).group(1)
    wb = openpyxl.load_workbook(central / "fill.xlsx")
    ws, wi = wb["项目"], wb["指标"]
    head = {c.value: c.column for c in ws[1]}
    for k, v in {"部门编码": "360", "部门名称": "教育部", "单位编码": "360013", "单位名称": "教育部留学服务中心",
                 "项目名称": "新项目", "预算数": "10.00", "财政资金": "10.00", "绩效目标": "目标"}.items():
        ws.cell(2, head[k]).value = v
    head = {c.value: c.column for c in wi[1]}
    for i, (l1, l2) in enumerate([("产出指标", "数量指标"), ("效益指标", "社会效益指标"), ("满意度指标", "服务对象满意度指标")]):
        for k, v in {"单位": "教育部留学服务中心", "项目": "新项目", "一级指标": l1, "二级指标": l2,
                     "三级指标": f"人数{i}", "指标值": "≥90%"}.items():
            wi.cell(2 + i, head[k]).value = v
    wb.save(central / "fill.xlsx")
    args = command.split()[1:]
    args[args.index("出版物文件夹")] = "central-2025"
    r = ptgen(central, *args)
    assert r.returncode == 0, (command, r.stderr)
    assert (central / "central-2025" / "360" / "360013" / "新项目.yaml").is_file()


def test_import_of_a_password_protected_workbook_says_so(tmp_path):
    """Excel saves a workbook with an opening password as an OLE compound file (the signature of
    .xls too): the message spoke only of “旧的 .xls”."""
    (tmp_path / "locked.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    r = ptgen(tmp_path, "import", "locked.xlsx", "--into", "pub")
    clean(r)
    assert "密码" in r.stderr and "locked.xlsx" in r.stderr, r.stderr
    assert not (tmp_path / "pub").exists()


@pytest.mark.parametrize("args", [("rollover", "central-2025", "x", "--year", "明年"), ("serve", "central-2025", "--port", "八千")])
def test_an_integer_option_given_words_is_said_in_chinese(central, args):
    """--year 明年 was “Input should be a valid integer, unable to parse string as an integer”."""
    r = ptgen(central, *args, timeout=60)
    assert r.returncode == 2, r.stderr
    assert "Input should" not in r.stderr and "整数" in r.stderr, r.stderr


def test_rollover_whose_report_cannot_be_written_says_the_publication_was(central):
    """The report is written after the publication: when it fails (here its folder is a file), the
    message said only that the report could not be written, and the clerk, running again, met
    “central-2026 已经存在”."""
    (central / "afile").write_text("x")
    r = ptgen(central, "rollover", "central-2025", "central-2026", "--report", "afile/r.md")
    clean(r)
    assert (central / "central-2026" / "ptgen.yaml").is_file()
    assert "central-2026" in r.stderr and "已经写好" in r.stderr, r.stderr
    assert "预算年度：2025 → 2026" in r.stdout, r.stdout  # the changes are not lost with the report


def test_import_of_a_formula_without_its_result_is_an_error_at_its_cell(tmp_path, workbook):
    """A formula cell whose file holds no computed result (written by a program, never opened in
    Excel) was read as an empty cell: an emptied 部门编码 silently made a second department."""
    import openpyxl
    wb = openpyxl.load_workbook(workbook)
    wb["项目"]["A2"] = "=1+359"
    wb.save(tmp_path / "book.xlsx")
    r = ptgen(tmp_path, "import", "book.xlsx", "--into", "pub")
    clean(r)
    assert "项目!A2" in r.stderr and "公式" in r.stderr, r.stderr
    assert not (tmp_path / "pub").exists()


def test_a_failed_rollover_names_the_folder_asked_for_not_its_hidden_temporary_one(central):
    """The message named ptgen's hidden temporary folder (“/…/.central-2026.91acf5f4deeb.ptgen-import
    所在的磁盘是只读的”), a folder the clerk never asked for and cannot find. A name of 240
    characters is allowed, the temporary folder's (longer) is not: the write fails there."""
    dest = "d" * 240
    r = ptgen(central, "rollover", "central-2025", dest)
    clean(r)
    assert "ptgen-import" not in r.stderr and dest in r.stderr, r.stderr
    assert not list(central.glob(".d*"))

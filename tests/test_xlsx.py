"""Spreadsheets out and in: ``build --format xlsx,csv`` (workbooks, CSV, a Frictionless Data
Package) and ``import book.xlsx`` (a workbook ptgen wrote, or one a clerk edited)."""
from __future__ import annotations

import io
import re
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from ptgen import api
from ptgen.build import build
from ptgen.cli import app
from ptgen.errors import UserError
from ptgen.importers.merge import import_sources

from helpers import CONTENT

PUBLICATIONS = sorted(p.parent.name for p in CONTENT.glob("*/ptgen.yaml"))


def _copy(name: str, tmp_path: Path) -> Path:
    shutil.copytree(CONTENT / name, tmp_path / "src" / name)
    return tmp_path / "src" / name


def _built(name: str, tmp_path: Path, formats=("xlsx",)):
    root = _copy(name, tmp_path)
    [pub] = api.check(root).publications
    build(pub, tmp_path / "out", list(formats))
    return pub


def _without_departments(settings: str) -> str:
    out = re.sub(r"^departments:\n(?:  - .*\n|  #.*\n)+", "departments: []\n", settings, flags=re.M)
    assert out != settings
    return out


def _yaml_files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.yaml"))}


@pytest.mark.parametrize("name", PUBLICATIONS)
def test_workbook_round_trip_gives_the_same_yaml_byte_for_byte(name, tmp_path):
    """YAML → xlsx → YAML for every example publication: the publication's workbook, imported into
    a folder holding its own ptgen.yaml (departments emptied: comments and rules: are in no
    workbook) with --force, gives every file back byte for byte; and that YAML builds the same
    workbook again, byte for byte."""
    pub = _built(name, tmp_path)
    book = tmp_path / "out" / "xlsx" / name / f"{name}.xlsx"
    into = tmp_path / "again" / name
    into.mkdir(parents=True)
    (into / "ptgen.yaml").write_text(_without_departments((pub.root / "ptgen.yaml").read_text(encoding="utf-8")),
                                     encoding="utf-8")
    result = import_sources([book], into, force=True)
    assert result.notes == []  # nothing had to be interpreted in a workbook ptgen wrote
    first, again = _yaml_files(pub.root), _yaml_files(into)
    assert sorted(again) == sorted(first)
    for rel in first:
        assert again[rel] == first[rel], rel
    [pub2] = api.check(into).publications
    build(pub2, tmp_path / "out2", ["xlsx"])
    assert (tmp_path / "out2" / "xlsx" / name / f"{name}.xlsx").read_bytes() == book.read_bytes()


def test_department_workbook_imports_into_a_new_folder(tmp_path):
    """A department's workbook alone makes a new publication: its settings sheet gives the title,
    year, layout and money unit; the projects come back as they were."""
    pub = _built("tianjin-2025", tmp_path)
    book = tmp_path / "out" / "xlsx" / "tianjin-2025" / "353.xlsx"
    import_sources([book], tmp_path / "new")
    [pub2] = api.check(tmp_path / "new").publications
    assert pub2.settings.title == pub.settings.title and pub2.settings.layout == "tianjin"
    old = {rel: text for rel, text in _yaml_files(pub.root).items() if rel.startswith("353/")}
    assert {rel: text for rel, text in _yaml_files(tmp_path / "new").items() if rel.startswith("353/")} == old


def test_same_content_gives_the_same_bytes_with_fixed_dates(tmp_path):
    _built("shanghai-2025", tmp_path)
    first = (tmp_path / "out" / "xlsx" / "shanghai-2025" / "shanghai-2025.xlsx").read_bytes()
    shutil.rmtree(tmp_path / "out")
    import time
    time.sleep(1.1)  # a clock-stamped zip entry or core.xml would differ now
    [pub] = api.check(tmp_path / "src" / "shanghai-2025").publications
    build(pub, tmp_path / "out", ["xlsx"])
    again = (tmp_path / "out" / "xlsx" / "shanghai-2025" / "shanghai-2025.xlsx").read_bytes()
    assert again == first
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert z.namelist()[:2] == ["docProps/app.xml", "docProps/core.xml"]
        core = z.read("docProps/core.xml").decode()
    assert "2025-01-01T00:00:00Z" in core and core.count("2025-01-01T00:00:00Z") == 2


def test_workbook_shape_frozen_filtered_validated_money_exact(tmp_path):
    """Header rows frozen, auto filters, 一级/二级 validated against the framework's names, money
    as numbers whose format keeps the decimals, the value split into 指标性质 / number / 度量单位."""
    _built("tianjin-2025", tmp_path)
    wb = openpyxl.load_workbook(tmp_path / "out" / "xlsx" / "tianjin-2025" / "353.xlsx")
    assert wb.sheetnames == ["项目", "指标", "指标体系", "出版物"]
    ps, ind = wb["项目"], wb["指标"]
    for ws in (ps, ind):
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
    heads = [c.value for c in ps[1]]
    assert heads[:7] == ["部门编码", "部门名称", "单位编码", "单位名称", "项目名称", "表格标题", "书签"]
    assert heads[7:] == ["预算数", "财政资金", "其他资金", "资金用途", "绩效目标", "项目标识"]
    assert ps.column_dimensions["E"].width == 30
    # 局机关信息系统运维费: 预算数 3540.00
    row = next(r for r in ps.iter_rows(min_row=2) if r[4].value == "局机关信息系统运维费")
    assert row[7].value == 3540 and row[7].number_format == "0.00" and row[7].data_type == "n"
    assert row[9].value is None  # 其他资金 empty, not 0
    assert row[0].value == "353" and row[0].data_type == "s"  # codes stay text
    iheads = [c.value for c in ind[1]]
    assert iheads == ["部门", "单位", "项目", "书签", "一级指标", "二级指标", "三级指标", "绩效指标描述", "指标值",
                      "指标性质", "指标值数值", "度量单位", "项目标识"]
    r2 = [c.value for c in ind[2]]
    assert r2[8:12] == ["≥10套", "≥", 10, "套"] and ind["K2"].number_format == "0"
    decimals = next(r for r in ind.iter_rows(min_row=2) if r[8].value == "≤696.72万元")
    assert decimals[10].value == 696.72 and decimals[10].number_format == "0.00"  # the number shows as written
    kinds = {c.value for c in ind["J"][1:]}
    assert kinds <= {"≥", "≤", "=", ">", "<", "定性"} and "定性" in kinds
    dvs = {str(dv.sqref): dv.formula1 for dv in ind.data_validations.dataValidation}
    assert dvs == {"E2:E1048576": "指标体系!$A$2:$A$4", "F2:F1048576": "指标体系!$B$2:$B$10"}
    fw = wb["指标体系"]
    assert [c.value for c in fw["A"][1:4]] == ["产出指标", "效益指标", "满意度指标"]
    assert "成本指标" in [c.value for c in fw["B"][1:]]


def test_an_amount_a_float_would_round_is_text(tmp_path):
    """An amount with more digits than a float holds (123456789012.345678) is a text cell (never
    rounded); one a float holds exactly is a number whose float repr is the amount."""
    from ptgen.render.xlsx import money_format
    from ptgen.sheets import exact_float
    assert exact_float(Decimal("154.00")) == 154.0 and exact_float(Decimal("0.10")) == 0.1
    assert exact_float(Decimal("123456789012.345678")) is None
    assert money_format(Decimal("154.00"), False) == "0.00" and money_format(Decimal("1234.5"), True) == "#,##0.0"
    root = _copy("tianjin-2025", tmp_path)
    f = next((root / "353").rglob("局机关信息系统运维费.yaml"))
    f.write_text(f.read_text(encoding="utf-8").replace('total: "3540.00"', 'total: "123456789012.345678"')
                 .replace("value: ≥10套", "value: ≥1234567890123456789套"), encoding="utf-8")
    [pub] = api.check(root).publications
    build(pub, tmp_path / "out", ["xlsx"])
    book = tmp_path / "out" / "xlsx" / "tianjin-2025" / "tianjin-2025.xlsx"
    ws = openpyxl.load_workbook(book)["项目"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[4].value == "局机关信息系统运维费")
    assert row[7].value == "123456789012.345678" and row[7].data_type == "s"
    ind = openpyxl.load_workbook(book)["指标"]
    row = next(r for r in ind.iter_rows(min_row=2) if r[8].value == "≥1234567890123456789套")
    assert row[10].value == "1234567890123456789" and row[10].data_type == "s"
    into = tmp_path / "again"
    assert import_sources([book], into).notes == []
    assert 'total: "123456789012.345678"' in next(into.rglob("局机关信息系统运维费.yaml")).read_text(encoding="utf-8")


def _clerk_book(tmp_path: Path) -> Path:
    _built("tianjin-2025", tmp_path)
    return tmp_path / "out" / "xlsx" / "tianjin-2025" / "353.xlsx"


def test_a_workbook_a_clerk_edited_imports_with_a_finding_per_interpreted_cell(tmp_path):
    """Excel's floats (154 for 154.00, a code as a number), a date, indicator rows reordered and a
    row added: each interpreted cell is a finding naming sheet and cell, the YAML says what the
    clerk meant."""
    book = _clerk_book(tmp_path)
    wb = openpyxl.load_workbook(book)
    ps, ind = wb["项目"], wb["指标"]
    # the first project's 预算数 re-typed: Excel makes 154.00 the number 154, format General
    ps["H2"].value, ps["H2"].number_format = 154, "General"
    ps["C2"].value = 353101  # the unit code re-typed: a number
    ps["I2"].value = "3,540.00"  # 财政资金 typed as text with a thousands comma
    # reorder the indicator rows: the first project's second row moved to the end of the sheet
    last = ind.max_row
    moved = [c.value for c in ind[3]]
    ind.delete_rows(3)
    for i, v in enumerate(moved, 1):
        ind.cell(last, i).value = v
    # a row added for the first project, its value typed as a number (Excel: 0.95 shown as 95%)
    new = ind.max_row + 1
    for i, v in enumerate([c.value for c in ind[2]][:8], 1):
        ind.cell(new, i).value = v
    ind.cell(new, 7).value = "新增指标"
    ind.cell(new, 9).value, ind.cell(new, 9).number_format = 0.95, "0%"
    wb.save(book)
    into = tmp_path / "new"
    result = import_sources([book], into)
    notes = "\n".join(result.notes)
    assert "353.xlsx 项目!H2：预算数是 Excel 的数字 154（没有固定小数位），按 154.00 读入" in notes
    assert "353.xlsx 项目!C2：编码被 Excel 存成了数字，按文字“353101”读入" in notes
    assert "353.xlsx 项目!I2：金额“3,540.00”去掉了千分位逗号或空格，读作 3540.00。" in notes
    assert f"353.xlsx 指标!A{last}：项目“局机关信息系统运维费”的指标行不在一起，按表中先后顺序读入。" in notes
    assert f"353.xlsx 指标!I{new}：指标值被 Excel 存成了数字，按文字“95%”读入" in notes
    text = next(into.rglob("局机关信息系统运维费.yaml")).read_text(encoding="utf-8")
    assert 'total: "154.00"' in text and 'fiscal: "3540.00"' in text
    names = re.findall(r"^    name: (.*)$", text, re.M)
    assert names[-2:] == [moved[6], "新增指标"] and "value: 95%" in text
    # the same through the command: exit 0, each finding printed
    out = CliRunner().invoke(app, ["import", str(book), "--into", str(tmp_path / "cli")])
    assert out.exit_code == 0, out.output
    assert "注意：353.xlsx 项目!H2：" in out.output


def test_cells_that_cannot_be_read_are_errors_naming_sheet_and_cell(tmp_path):
    """An empty required cell, an amount that is no number and an indicator row of no project:
    an error each, naming sheet and cell (指标!G17); nothing is written."""
    book = _clerk_book(tmp_path)
    wb = openpyxl.load_workbook(book)
    wb["指标"]["G17"].value = None            # 三级指标 emptied
    wb["项目"]["I3"].value = "一百万"           # 财政资金 as words
    wb["指标"]["C20"].value = "没有这个项目"     # a row whose project is not in the 项目 sheet
    wb["指标"]["D20"].value = None
    wb.save(book)
    into = tmp_path / "new"
    with pytest.raises(UserError) as e:
        import_sources([book], into)
    msg = str(e.value)
    assert "353.xlsx 指标!G17：三级指标是空的" in msg
    assert "353.xlsx 项目!I3：财政资金：金额“一百万”格式不对" in msg
    assert "353.xlsx 指标!C20：这一行的项目“没有这个项目”" in msg
    assert not into.exists()
    out = CliRunner().invoke(app, ["import", str(book), "--into", str(into)])
    assert out.exit_code == 1 and "指标!G17" in out.output and "内部错误" not in out.output


def test_csv_and_data_package_validate(tmp_path):
    """CSV with a BOM, amounts as written, and a datapackage.json that frictionless accepts."""
    frictionless = pytest.importorskip("frictionless")
    _built("shanghai-2025", tmp_path, formats=("csv",))
    folder = tmp_path / "out" / "csv" / "shanghai-2025"
    assert sorted(p.name for p in folder.iterdir()) == ["datapackage.json", "indicators.csv", "projects.csv"]
    data = (folder / "projects.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert ",4318167.58," in data.decode("utf-8-sig") and ",0.00," in data.decode("utf-8-sig")
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert [t.stats["rows"] for t in report.tasks] == [2, sum(1 for _ in open(folder / "indicators.csv", encoding="utf-8-sig")) - 1]


def test_new_workbook_is_an_empty_workbook_of_the_same_shape(tmp_path):
    """``ptgen new workbook UNIT_DIR`` writes the headings, the validation lists (一级/二级 from the
    framework; 部门/单位 of the unit) and the settings sheet; filled in, it imports into the
    publication."""
    root = _copy("tianjin-2025", tmp_path)
    target = tmp_path / "填报.xlsx"
    out = CliRunner().invoke(app, ["new", "workbook", str(root / "353" / "353216"), "--output", str(target)])
    assert out.exit_code == 0, out.output
    wb = openpyxl.load_workbook(target)
    assert wb.sheetnames == ["项目", "指标", "指标体系", "出版物"]
    assert wb["项目"].max_row == 1 and wb["指标"].max_row == 1
    dvs = {str(dv.sqref): dv.formula1 for dv in wb["项目"].data_validations.dataValidation}
    assert dvs["C2:C1048576"] == '"353216"' and dvs["A2:A1048576"] == '"353"'
    assert {str(dv.sqref) for dv in wb["指标"].data_validations.dataValidation} == {"E2:E1048576", "F2:F1048576"}
    again = CliRunner().invoke(app, ["new", "workbook", str(root / "353" / "353216"), "--output", str(target)])
    assert again.exit_code != 0 and "已经存在" in again.output
    unit = re.search(r"^name: (.*)$", (root / "353" / "353216" / "unit.yaml").read_text(encoding="utf-8"), re.M)[1]
    assert dvs["D2:D1048576"] == f'"{unit}"'
    ps, ind = wb["项目"], wb["指标"]
    ps.append(["353", "天津市人力资源和社会保障局", "353216", unit, "新项目", None, None, "10.00", "10.00", None, "用途", "目标"])
    ind.append(["天津市人力资源和社会保障局", unit, "新项目", None, "产出指标", "数量指标", "数量", "描述", "≥1个"])
    wb.save(target)
    result = import_sources([target], root, force=True)
    assert result.projects == 1
    text = (root / "353" / "353216" / "新项目.yaml").read_text(encoding="utf-8")
    assert 'total: "10.00"' in text and "bookmark: _Toc_4_4_" in text


def test_verify_counts_only_the_files_it_reads_back(tmp_path):
    """--verify reads DOCX, HTML and PDF back; the workbooks and CSV are data it does not read, so
    they are not counted among the files it says it checked."""
    root = _copy("tianjin-2025", tmp_path)
    out = CliRunner().invoke(app, ["build", str(root), "--out", str(tmp_path / "out"), "--format", "xlsx,csv,html",
                                   "--force", "--verify"])
    assert out.exit_code == 0, out.output
    assert "核对通过：2 个文件里" in out.output  # tianjin-2025/353.html and tianjin-2025.html, not index.html


def test_dates_excel_made_dates_are_read_in_the_columns_style(tmp_path):
    """上海's 计划开始日期 re-typed: Excel stores a date; it is read back as the column's other dates
    are written (2025-01-01), with a finding."""
    import datetime
    _built("shanghai-2025", tmp_path)
    book = tmp_path / "out" / "xlsx" / "shanghai-2025" / "shanghai-2025.xlsx"
    wb = openpyxl.load_workbook(book)
    ws = wb["项目"]
    col = next(c.column_letter for c in ws[1] if c.value == "计划开始日期")
    assert ws[f"{col}2"].value == "2025-01-01" and ws[f"{col}3"].value == "2025-01-01"
    ws[f"{col}2"].value = datetime.datetime(2025, 3, 1)
    wb.save(book)
    result = import_sources([book], tmp_path / "new")
    assert f"shanghai-2025.xlsx 项目!{col}2：计划开始日期被 Excel 存成了日期，按 2025-03-01 读入" in "\n".join(result.notes)
    assert 'start: "2025-03-01"' in (tmp_path / "new").joinpath(
        next(p for p in _yaml_files(tmp_path / "new") if p.endswith("职业培训基础能力建设资助.yaml"))).read_text(encoding="utf-8")
    ws[f"{col}3"].value = "2025年1月1日"  # the column's dates written the Chinese way: the same for Excel's
    wb.save(book)
    result = import_sources([book], tmp_path / "new2")
    assert f"shanghai-2025.xlsx 项目!{col}2：计划开始日期被 Excel 存成了日期，按 2025年3月1日 读入" in "\n".join(result.notes)


def test_a_workbook_import_keeps_the_import_safety_rules(tmp_path):
    """Into an existing publication a workbook whose projects differ is refused without --force
    (nothing written); a workbook with a DOCTYPE is refused; a file that is no zip is a message."""
    pub = _built("tianjin-2025", tmp_path)
    book = tmp_path / "out" / "xlsx" / "tianjin-2025" / "353.xlsx"
    wb = openpyxl.load_workbook(book)
    wb["指标"]["I2"].value = "≥11套"
    wb.save(book)
    before = _yaml_files(pub.root)
    with pytest.raises(UserError) as e:
        import_sources([book], pub.root)
    assert "已存在且内容不同（加 --force 覆盖）" in str(e.value)
    assert _yaml_files(pub.root) == before
    import_sources([book], pub.root, force=True)
    assert "value: ≥11套" in next(pub.root.rglob("局机关信息系统运维费.yaml")).read_text(encoding="utf-8")
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/workbook.xml":
                data = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + data
            dst.writestr(item, data)
    out = CliRunner().invoke(app, ["import", str(bad), "--into", str(tmp_path / "x")])
    assert out.exit_code == 1 and "DOCTYPE" in out.output and "内部错误" not in out.output
    (tmp_path / "not.xlsx").write_text("hello", encoding="utf-8")
    out = CliRunner().invoke(app, ["import", str(tmp_path / "not.xlsx"), "--into", str(tmp_path / "y")])
    assert out.exit_code == 1 and "不是有效的 Excel (.xlsx) 文件" in out.output
    with zipfile.ZipFile(tmp_path / "empty.xlsx", "w") as z:  # a zip, but no workbook in it
        z.writestr("hello.txt", "hello")
    out = CliRunner().invoke(app, ["import", str(tmp_path / "empty.xlsx"), "--into", str(tmp_path / "z")])
    assert out.exit_code == 1 and "无法读取 Excel 文件" in out.output and "内部错误" not in out.output


def test_split_value_cells_changed_alone_are_a_finding(tmp_path):
    """指标性质 / 指标值数值 / 度量单位 are made from 指标值: a clerk who changes only them is told that
    指标值 counts (the YAML keeps 指标值)."""
    book = _clerk_book(tmp_path)
    wb = openpyxl.load_workbook(book)
    assert [c.value for c in wb["指标"][2]][8:12] == ["≥10套", "≥", 10, "套"]
    wb["指标"]["K2"].value = 12
    wb.save(book)
    result = import_sources([book], tmp_path / "new")
    assert result.notes == ["353.xlsx 指标!K2：“12”与指标值“≥10套”不一致：指标性质、指标值数值和度量单位由指标值得出，"
                            "导入时以指标值为准，这一格没有读入。"]


def test_the_project_identity_has_its_column(tmp_path):
    """Both sheets carry the project's identity (id:) in their last column, as the YAML has it."""
    _built("tianjin-2025", tmp_path)
    book = tmp_path / "out" / "xlsx" / "tianjin-2025" / "353.xlsx"
    wb = openpyxl.load_workbook(book)
    for ws in (wb["项目"], wb["指标"]):
        assert ws.cell(1, ws.max_column).value == "项目标识"
        assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", ws.cell(2, ws.max_column).value)
    first = wb["项目"].cell(2, wb["项目"].max_column).value
    from helpers import CONTENT
    assert f"id: {first}\n" in "".join(p.read_text(encoding="utf-8") for p in (CONTENT / "tianjin-2025").rglob("*.yaml"))


def test_a_text_longer_than_an_excel_cell_is_a_message(tmp_path):
    """Excel holds 32,767 characters in a cell and calls a file with more damaged: the xlsx build
    stops with a message naming sheet, cell and field (the other formats are not affected)."""
    root = _copy("tianjin-2025", tmp_path)
    f = next((root / "353").rglob("局机关信息系统运维费.yaml"))
    f.write_text(f.read_text(encoding="utf-8").replace("goals: ", "goals: " + "长" * 40000, 1), encoding="utf-8")
    out = CliRunner().invoke(app, ["build", str(root), "--out", str(tmp_path / "out"), "--format", "xlsx", "--force"])
    assert out.exit_code == 1, out.output
    assert "无法生成 xlsx：项目!L2（绩效目标）有 40" in out.output and "最多 32767 个字符" in out.output
    assert "内部错误" not in out.output


def test_codes_and_settings_that_cannot_be_used_are_errors_at_their_cells(tmp_path):
    """A unit code with a space, a year that is no year, a money unit and a framework ptgen does not
    know: an error each at its cell, nothing written (not an internal error on the way)."""
    book = _clerk_book(tmp_path)
    wb = openpyxl.load_workbook(book)
    wb["项目"]["C2"].value = "353 101"
    st = wb["出版物"]
    assert [c.value for c in st["A"]][1:7] == ["标题", "预算年度", "地区", "版式", "金额单位", "指标体系"]
    st["B3"].value, st["B6"].value, st["B7"].value = "二〇二五", "万", "mof1999"
    wb.save(book)
    out = CliRunner().invoke(app, ["import", str(book), "--into", str(tmp_path / "new")])
    assert out.exit_code == 1 and "内部错误" not in out.output, out.output
    for cell in ("项目!C2：编码“353 101”只能由数字和英文字母组成", "出版物!B3：预算年度“二〇二五”不是",
                 "出版物!B6：金额单位“万”只能是 万元 或 元", "出版物!B7：没有名为“mof1999”的指标体系"):
        assert f"353.xlsx {cell}" in out.output
    assert not (tmp_path / "new").exists()

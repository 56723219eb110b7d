"""`ptgen import` of .docx files by the layout definitions: every built-in form round-trips,
labels match whatever their whitespace, and spacer paragraphs are not content."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn

from ptgen import api, layouts
from ptgen.build import build
from ptgen.importers.docx import read_docx
from ptgen.importers.merge import import_sources
from ptgen.load import load

from helpers import CONTENT
from test_import_cli import PROJECT, _bookmark, make_docx


def _publication_of(layout: str) -> str:
    """The example publication (content/) written in ``layout``."""
    for settings in sorted(CONTENT.glob("*/ptgen.yaml")):
        if any(line.strip() == f"layout: {layout}" for line in settings.read_text(encoding="utf-8").splitlines()):
            return settings.parent.name
    raise AssertionError(f"content/ 里没有 {layout} 版式的出版物")


def _without_departments(settings: str) -> str:
    """A ``ptgen.yaml``'s text with its ``departments:`` list emptied, everything else (comments,
    ``rules:``) as it was."""
    out = re.sub(r"^departments:\n(?:  - .*\n|  #.*\n)+", "departments: []\n", settings, flags=re.M)
    assert out != settings
    return out


@pytest.mark.parametrize("layout", layouts.builtin_names())
def test_built_docx_imports_back_byte_for_byte(layout, tmp_path):
    """YAML → DOCX → YAML for every built-in layout: the department's .docx, imported with --force
    into a folder that holds only the publication's own ``ptgen.yaml`` with its ``departments:``
    list emptied, gives every file back byte for byte.  The ``ptgen.yaml`` is given because what a
    human wrote into it (comments, ``rules:`` settings) is in no DOCX; import keeps it and puts the
    department back into its list, and every project, unit and department file comes from the
    DOCX alone."""
    name = _publication_of(layout)
    shutil.copytree(CONTENT / name, tmp_path / "src" / name)
    result = api.check(tmp_path / "src" / name)
    [pub] = result.publications
    build(pub, tmp_path / "out", ["docx"])
    first = {p.relative_to(pub.root): p.read_bytes() for p in pub.root.rglob("*.yaml")}
    [dept] = pub.departments
    docx = tmp_path / "out" / "docx" / name / f"{dept.folder}.docx"
    into = tmp_path / "again" / name
    into.mkdir(parents=True)
    settings = (pub.root / "ptgen.yaml").read_text(encoding="utf-8")
    (into / "ptgen.yaml").write_text(_without_departments(settings), encoding="utf-8")
    import_sources([docx], into, force=True, department_name=dept.department.name, title=pub.settings.title)
    again = {p.relative_to(into): p.read_bytes() for p in into.rglob("*.yaml")}
    assert sorted(again) == sorted(first)
    for rel in first:
        assert again[rel].decode() == first[rel].decode(), rel


def test_department_and_unit_headings_fill_what_the_form_does_not_show(tmp_path):
    """ptgen's DOCX heads each department and unit with its code and name (``360教育部``,
    ``360013教育部留学服务中心``): a form that prints no unit code (central) or no department
    (奉节) gets them from those headings, so no --department-name is needed."""
    for layout, want in (("central", ("360", "教育部", "360013")), ("fengjie", (None, "奉节县云雾土家族乡人民政府", None))):
        name = _publication_of(layout)
        shutil.copytree(CONTENT / name, tmp_path / name)
        [pub] = api.check(tmp_path / name).publications
        build(pub, tmp_path / "out", ["docx"])
        [dept] = pub.departments
        source = read_docx(tmp_path / "out" / "docx" / name / f"{dept.folder}.docx")
        assert [(u.department_code, u.department_name, u.unit_code) for u in source.units] == [want]
        import_sources([Path(source.path)], tmp_path / "again" / name)
        assert sorted(p.relative_to(tmp_path / "again" / name) for p in (tmp_path / "again" / name).rglob("*.yaml")) \
            == sorted(p.relative_to(pub.root) for p in pub.root.rglob("*.yaml"))


def test_a_form_that_prints_only_the_total_imports_without_a_budget_error(tmp_path):
    """湘潭's form prints 年度本级预算金额 (the total) and no 财政资金/其他资金: a publication imported
    from it has those parts empty, and B01 (the parts add up to the total) has nothing to add up."""
    name = _publication_of("xiangtan")
    shutil.copytree(CONTENT / name, tmp_path / name)
    [pub] = api.check(tmp_path / name).publications
    build(pub, tmp_path / "out", ["docx"])
    [dept] = pub.departments
    import_sources([tmp_path / "out" / "docx" / name / f"{dept.folder}.docx"], tmp_path / "again",
                   department_name=dept.department.name)
    result = api.check(tmp_path / "again")
    [again] = result.publications
    assert [d.project.budget.fiscal for _, _, d in again.projects()] == [None]
    assert [i.code for i in result.report.errors] == []


def test_spacer_paragraphs_in_a_cell_are_not_content(tmp_path):
    """A one-space spacer paragraph (and the empty ones before it) swallowed by a cell is dropped; a
    cell holding only spaces is empty; real trailing spaces and inner empty paragraphs are kept."""
    src = tmp_path / "published.docx"
    make_docx(src, [("1.测试活动经费绩效目标表", "_Toc126829020", "353216测试单位",
                     dict(PROJECT, goals="1.开展活动。\n\n2.提升服务。  "))])
    doc = Document(src)
    goals = doc.tables[0].rows[4].cells[1]
    for extra in ("", "", " "):  # what a held-out publication had after every goals
        goals.add_paragraph(extra)
    doc.tables[0].rows[2].cells[6].paragraphs[0].text = " "  # 其他资金 published as one space
    doc.save(src)
    [unit] = read_docx(src).units
    [p] = unit.projects
    assert p.goals == "1.开展活动。\n\n2.提升服务。  "
    assert p.budget.other is None
    assert p.bookmark == "_Toc126829020"


def test_labels_match_without_their_whitespace(tmp_path):
    """``其中：财政资金`` in the file matches the definition's ``其中：财政    资金``."""
    src = tmp_path / "published.docx"
    make_docx(src, [("1.测试活动经费绩效目标表", "_Toc_4_4_0000000105", "353216测试单位", PROJECT)])
    doc = Document(src)
    doc.tables[0].rows[2].cells[3].paragraphs[0].text = "其中：财政资金"
    doc.tables[0].rows[1].cells[0].paragraphs[0].text = "项目 名称"
    doc.save(src)
    source = read_docx(src)
    assert source.layout == "tianjin" and source.units[0].projects[0].name == "测试活动经费"


def test_continuous_numbering_is_detected(tmp_path):
    """Titles numbered on across units (1, 2 | 3) give ``numbering: continuous``."""
    src = tmp_path / "published.docx"
    make_docx(src, [("1.测试活动经费绩效目标表", "_Toc126829020", "353216测试单位", PROJECT),
                    ("2.第二个项目绩效目标表", "_Toc126829021", "353216测试单位", dict(PROJECT, name="第二个项目")),
                    ("3.第三个项目绩效目标表", "_Toc126829022", "353101本级单位", dict(PROJECT, name="第三个项目"))])
    import_sources([src], tmp_path / "pub", department_name="测试部门")
    pub, _ = load(tmp_path / "pub")
    assert pub.settings.numbering == "continuous"
    assert [d.project.bookmark for _, _, d in pub.projects()] == ["_Toc126829022", "_Toc126829020", "_Toc126829021"]


def test_a_table_of_no_known_layout_is_refused_with_where_and_why(tmp_path):
    src = tmp_path / "published.docx"
    doc = Document()
    h = doc.add_paragraph("1.某项目绩效目标表")
    _bookmark(h, "_Toc126829020", 1)
    t = doc.add_table(rows=2, cols=2)
    t.rows[0].cells[0].text = "项目名称"
    t.rows[1].cells[0].text = "金额"
    doc.save(src)
    r = subprocess.run([sys.executable, "-m", "ptgen", "import", str(src), "--into", str(tmp_path / "pub")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "Traceback" not in r.stderr and "内部错误" not in r.stderr
    assert "published.docx:1:" in r.stderr and "不是已知的版式" in r.stderr, r.stderr
    assert not (tmp_path / "pub").exists()


def _drop_rows(docx, out, label):
    """``docx`` saved as ``out`` without the table rows whose fourth cell reads ``label``."""
    doc = Document(docx)
    for table in doc.tables:
        for tr in list(table._tbl.tr_lst):
            texts = ["".join(t.text or "" for t in tc.iter(qn("w:t"))) for tc in tr.tc_lst]
            if len(texts) > 3 and texts[3] == label:
                table._tbl.remove(tr)
    doc.save(out)


def test_a_form_row_left_out_is_tolerated(tmp_path):
    """A published form without one of its optional rows (上海's 上年结转资金) still imports: that
    field is left empty, every other one is read from its own row."""
    name = _publication_of("shanghai")
    shutil.copytree(CONTENT / name, tmp_path / name)
    [pub] = api.check(tmp_path / name).publications
    build(pub, tmp_path / "out", ["docx"])
    src = tmp_path / "out" / "docx" / name / f"{name}.docx"
    _drop_rows(src, tmp_path / "short.docx", "上年结转资金")
    [unit] = read_docx(tmp_path / "short.docx").units
    expected = [d.project for _, _, d in pub.projects()]
    assert [p.budget.carryover for p in unit.projects] == [None, None]
    assert [p.budget.other for p in unit.projects] == [p.budget.other for p in expected]
    assert [p.model_copy(update={"budget": e.budget, "id": e.id}) for p, e in zip(unit.projects, expected)] == expected


def _labels_text(layout) -> str:
    """A text holding every label of ``layout``'s form, with spaces inside, as PDFs give them."""
    from ptgen.importers import form_labels
    return "\n".join("\t" + " ".join(label) for label in form_labels(layout))


def test_text_sources_are_recognised_by_the_definitions_labels():
    """Extracted text is the form whose labels all appear in it (whitespace ignored): every built-in
    form is recognised as itself, and as no other."""
    from ptgen.importers.text import detect
    for name in layouts.builtin_names():
        assert detect(_labels_text(layouts.builtin(name))).name == name
    assert detect("\t项目名称\n\t会议纪要") is None


def test_a_text_of_a_form_read_only_from_docx_is_refused_by_name(tmp_path):
    """A form without ``recognise.text_reader`` imports from .docx only: its text is recognised
    and refused with a message that names the form and says to import the .docx; a form with a
    text reader is read."""
    docx_only = [n for n in layouts.builtin_names() if layouts.builtin(n).recognise.text_reader is None]
    assert docx_only
    for name in docx_only:
        layout = layouts.builtin(name)
        src = tmp_path / f"{name}.txt"
        src.write_text(_labels_text(layout), encoding="utf-8")
        r = subprocess.run([sys.executable, "-m", "ptgen", "import", str(src), "--into", str(tmp_path / name)],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 1 and "Traceback" not in r.stderr and "内部错误" not in r.stderr, r.stderr
        assert layout.title in r.stderr and ".docx" in r.stderr and "无法识别" not in r.stderr, r.stderr
        assert not (tmp_path / name).exists()


def test_the_most_specific_form_wins_and_a_tie_is_an_error():
    """A form whose labels are a subset of another's is not detected in a text of the other: the
    form with the most specific labels wins; two forms the text fits equally well are an error that
    names both, never a silent pick."""
    from ptgen.importers import ImportProblem
    from ptgen.importers.text import detect
    base = layouts.builtin(layouts.builtin_names()[0])
    wider = base.model_copy(update={"name": "wider", "title": "更细的表", "recognise": base.recognise.model_copy(
        update={"labels": [*base.recognise.labels, "财政部门审核意见"]})})
    other = base.model_copy(update={"name": "other", "title": "另一种表", "recognise": base.recognise.model_copy(
        update={"labels": [*base.recognise.labels, "单位负责人签字"]})})
    assert detect(_labels_text(base), [base, wider]).name == base.name
    assert detect(_labels_text(wider), [base, wider]).name == "wider"
    assert detect(_labels_text(wider), [wider, base]).name == "wider"
    both = _labels_text(wider) + "\n\t单位负责人签字"
    with pytest.raises(ImportProblem, match="另一种表") as e:
        detect(both, [base, wider, other])
    assert "更细的表" in str(e.value)


def test_a_built_docx_fits_its_own_form_only(tmp_path):
    """No built-in form's tables are read by another built-in definition: DOCX detection is
    never a matter of which definition is tried first."""
    from ptgen.importers.docx import _Misfit, _body, _fit, _groups

    def fits(group) -> list[str]:
        out = []
        for name in layouts.builtin_names():
            try:
                _fit(layouts.builtin(name), group)
            except _Misfit:
                continue
            out.append(name)
        return out

    for layout in layouts.builtin_names():
        name = _publication_of(layout)
        shutil.copytree(CONTENT / name, tmp_path / name)
        [pub] = api.check(tmp_path / name).publications
        build(pub, tmp_path / "out", ["docx"])
        for docx in sorted((tmp_path / "out" / "docx" / name).glob("*.docx")):
            assert [fits(g) for g in _groups(_body(docx))] == [[layout]] * len(list(pub.projects())), docx


def test_importers_know_no_form_by_name():
    """Issue 11's house rule for the importers: no string or identifier names a form (tianjin,
    shanghai); only comments and docstrings may."""
    import ast
    import re
    from pathlib import Path

    import ptgen.importers
    folder = Path(ptgen.importers.__file__).parent
    found = []
    for path in sorted(folder.glob("*.py")):
        assert not re.search("tianjin|shanghai", path.name, re.I), path.name
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                      and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            words = []
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                words.append(node.value)
            elif isinstance(node, ast.Name):
                words.append(node.id)
            elif isinstance(node, ast.Attribute):
                words.append(node.attr)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                words.append(node.name)
            elif isinstance(node, ast.ImportFrom):
                words += [node.module or ""] + [a.name for a in node.names]
            found += [(path.name, w) for w in words if re.search("tianjin|shanghai", w, re.I)]
    assert found == []


def test_a_year_out_of_range_is_a_user_error(tmp_path):
    """What the form's fields give (here 上海's ``({settings.year} 年度)``) goes into ptgen.yaml; a
    value ptgen.yaml cannot hold is a message, not a traceback, and nothing is written."""
    name = _publication_of("shanghai")
    shutil.copytree(CONTENT / name, tmp_path / name)
    [pub] = api.check(tmp_path / name).publications
    build(pub, tmp_path / "out", ["docx"])
    doc = Document(tmp_path / "out" / "docx" / name / f"{name}.docx")
    for table in doc.tables:
        for p in table.rows[1].cells[0].paragraphs:
            for run in p.runs:
                run.text = run.text.replace("2025", "1900")
    doc.save(tmp_path / "old.docx")
    r = subprocess.run([sys.executable, "-m", "ptgen", "import", str(tmp_path / "old.docx"), "--into",
                        str(tmp_path / "pub")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "Traceback" not in r.stderr and "内部错误" not in r.stderr, r.stderr
    assert "1900" in r.stderr and not (tmp_path / "pub").exists()


def test_an_indicator_grid_cut_in_two_is_one_grid(tmp_path):
    """A grid a page break or a converter cut into two tables (the second starting with the header
    row again, an empty paragraph between) reads as the one grid it was."""
    import copy
    name = _publication_of("tianjin")
    shutil.copytree(CONTENT / name, tmp_path / name)
    [pub] = api.check(tmp_path / name).publications
    build(pub, tmp_path / "out", ["docx"])
    [dept] = pub.departments
    src = tmp_path / "out" / "docx" / name / f"{dept.folder}.docx"
    doc = Document(src)
    grid = doc.tables[1]._tbl
    rest = copy.deepcopy(grid)
    for tr in grid.tr_lst[6:]:
        grid.remove(tr)
    for tr in rest.tr_lst[1:6]:
        rest.remove(tr)
    spacer = copy.deepcopy(grid.getprevious())  # the empty paragraph before the grid
    grid.addnext(spacer)
    spacer.addnext(rest)
    doc.save(tmp_path / "cut.docx")
    whole = [p for u in read_docx(src).units for p in u.projects]
    cut = [p for u in read_docx(tmp_path / "cut.docx").units for p in u.projects]
    assert len(whole[0].indicators) > 6 and cut == whole


def test_a_bookmark_word_put_before_the_heading_is_kept(tmp_path):
    """Word may write a heading's bookmark between paragraphs (``w:bookmarkStart`` in ``w:body``,
    just before the heading): it is still that table's bookmark."""
    from docx.oxml import OxmlElement
    src = tmp_path / "published.docx"
    make_docx(src, [("1.测试活动经费绩效目标表", "_Toc_4_4_0000000105", "353216测试单位", PROJECT)])
    doc = Document(src)
    heading = doc.paragraphs[0]._p
    for el in list(heading):
        if el.tag in (qn("w:bookmarkStart"), qn("w:bookmarkEnd")):
            heading.remove(el)
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), "7")
    start.set(qn("w:name"), "_Toc126829020")
    heading.addprevious(start)
    doc.save(src)
    [unit] = read_docx(src).units
    assert [p.bookmark for p in unit.projects] == ["_Toc126829020"]

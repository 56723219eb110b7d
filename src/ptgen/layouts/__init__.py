"""Layout definitions: a published form described as data.

A form (天津's 项目支出绩效目标表, 上海's 申报表, …) is a YAML file: its tables, their rows and
cells (a label, a field of the project, a money amount, a text with fields in it), spans and
vertical merges, the indicator grid's columns and which of them merge, how amounts are written
and how a table's heading is made.  ``render/layout.py`` turns a definition and a project into
the cells every renderer draws; no code branches on a form's name.

The built-in definitions are data files, the top-level ``layouts/*.yaml`` of the source tree,
shipped inside the package as ``ptgen/forms/``.
"""
from __future__ import annotations

import functools
import importlib.resources
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .. import yamlio

ROLES = ("label", "value", "head", "amount", "agency", "unit", "form-title", "form-year", "level")
Role = Literal["label", "value", "head", "amount", "agency", "unit", "form-title", "form-year", "level"]

# What a text may name: ``{project.name}``, ``{unit.code}``, ``{settings.year}``: an object ptgen
# hands over and one public field of it.  Nothing else is looked up (a definition can come from a
# pull request: ``{project.__class__...}`` must not reach Python's internals).
PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\.([a-z][a-z0-9_]*)\}")
OBJECTS = ("project", "unit", "department", "settings")
_ANY_BRACE = re.compile(r"[{}]")


class _Misfit(Exception):
    """A definition's parts that do not fit together, with where (raised past pydantic on purpose,
    so that ``parse`` can point at the exact key)."""

    def __init__(self, loc: tuple, message: str):
        super().__init__(message)
        self.loc, self.message = loc, message


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def _check_text(text: str) -> str:
    rest = PLACEHOLDER_RE.sub("", text)
    if _ANY_BRACE.search(rest):
        raise ValueError(f"“{text}”里的花括号只能写 {{对象.字段}}，对象是 {'、'.join(OBJECTS)} 之一")
    for obj, _ in PLACEHOLDER_RE.findall(text):
        if obj not in OBJECTS:
            raise ValueError(f"“{{{obj}.…}}”：可以引用的对象只有 {'、'.join(OBJECTS)}")
    return text


FieldPath = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$", title="项目字段",
                                 description="项目字段，例如 name、purpose、budget.total、project_funds.other")]


class CellDef(_Closed):
    """One cell: exactly one of ``label``, ``text``, ``value``, ``amount`` or ``merged``."""

    label: str | None = Field(None, title="标签", description="固定的标签文字（可含 {对象.字段}）")
    text: str | None = Field(None, title="文字", description="固定文字，可含 {project.name}、{unit.code}、{settings.year} 这样的字段")
    value: FieldPath | None = Field(None, title="文字字段", description="项目的一个文字字段，原样印出")
    amount: FieldPath | None = Field(None, title="金额字段", description="项目的一个金额字段，按 money 的写法印出")
    merged: bool = Field(False, title="纵向合并的延续", description="上一行同列单元格的延续（纵向合并）")
    role: Role | None = Field(None, title="样式", description="样式：label、value、amount、agency、unit、form-title、form-year 等")
    span: int = Field(1, title="横跨列数", ge=1, le=50, description="横跨的列数")
    rows: int = Field(1, title="纵向合并行数", ge=1, le=50, description="纵向合并的行数（写在第一行的单元格上）")

    @model_validator(mode="after")
    def _one_kind(self):
        kinds = [k for k in ("label", "text", "value", "amount") if getattr(self, k) is not None] + \
            (["merged"] if self.merged else [])
        if len(kinds) != 1:
            raise ValueError("每个单元格要写且只写 label、text、value、amount、merged 中的一个"
                             + (f"（这里写了 {'、'.join(kinds)}）" if kinds else ""))
        for k in ("label", "text"):
            if getattr(self, k) is not None:
                _check_text(getattr(self, k))
        return self

    @functools.cached_property
    def kind(self) -> str:
        return next(k for k in ("label", "text", "value", "amount") if getattr(self, k) is not None) \
            if not self.merged else "merged"

    @functools.cached_property
    def default_role(self) -> str:
        return self.role or {"label": "label", "text": "value", "value": "value", "amount": "amount",
                             "merged": "label"}[self.kind]


class RowDef(_Closed):
    cells: list[CellDef] = Field(min_length=1, title="单元格", description="这一行的单元格，从左到右")
    borderless: bool = Field(False, title="无框线", description="无框线的一行（例如表格上方的单位名称行）")
    can_split: bool = Field(False, title="可跨页断开", description="可以跨页断开（只用于可能超过一页的长文字行）")
    header: bool = Field(False, title="跨页重复", description="表格跨页时在每页重复这一行")


# The fields every form shares; a form declares any others it has (``fields``, ``indicator_fields``).
PROJECT_FIELDS = ("name", "title", "bookmark", "budget", "purpose", "goals", "indicators")
INDICATOR_FIELDS = ("level1", "level2", "name", "description", "value")


class ExtraField(_Closed):
    """一个版式特有的字段（例如 项目性质、绩效标准、分值），写在项目文件里（或指标行里），由版式声明。"""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$", title="字段名", description="内容文件里写的字段名，例如 nature、standard、score")
    title: str = Field(title="中文名称", description="字段的中文名称，用于提示信息，例如 项目性质")
    kind: Literal["text", "date", "money"] = Field(
        "text", title="类型", description="text：照原样的文字；date：日期（照原样，检查年份是否在预算年度内）；money：金额（或 parts 列出的一组金额）")
    parts: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]] = Field(
        default_factory=list, title="金额的组成", description="kind 为 money 时，一组金额的各项，例如 [total, fiscal, other]；不写则是一个金额")
    part_titles: list[str] = Field(default_factory=list, title="各项的中文名称", description="与 parts 一一对应，例如 [项目资金总额, 财政资金, 其他资金]")
    required: bool = Field(False, title="必填", description="这个版式要求填写它")

    @model_validator(mode="after")
    def _parts(self):
        if self.parts and self.kind != "money":
            raise ValueError("只有 kind: money 的字段可以写 parts")
        if self.part_titles and len(self.part_titles) != len(self.parts):
            raise ValueError("part_titles 要与 parts 一一对应")
        return self


class ColumnDef(_Closed):
    head: str = Field(title="表头文字", description="表头文字")
    field: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")] = Field(
        title="指标字段",
        description="指标的哪一项：level1 一级、level2 二级、name 三级、description 描述、value 指标值，或 indicator_fields 声明的字段")
    span: int = Field(1, title="横跨列数", ge=1, le=50, description="横跨的列数")
    merge: Literal["level1", "level2"] | None = Field(
        None, title="纵向合并", description="纵向合并：level1 合并 merge_level1 里列出的一级指标；level2 在合并的一级指标内合并相同的二级指标")


class GridDef(_Closed):
    columns: list[ColumnDef] = Field(min_length=1, title="列", description="指标表的列，从左到右")
    side_label: str | None = Field(None, title="侧边标签", description="指标表左侧纵向合并的标签（例如“绩效指标”）")
    header_repeats: bool = Field(True, title="跨页重复表头", description="表格跨页时重复表头行")


class TableDef(_Closed):
    kind: str | None = Field(None, title="样式名", description="表格的样式名（Word 和网页样式用它区分表格）")
    caption: str = Field("", title="表格说明", description="表格说明（网页的 caption，供读屏软件使用），可含 {project.name}")
    widths: list[int] = Field(default_factory=list, title="列宽", description="各列的相对宽度")
    rows: list[RowDef] = Field(default_factory=list, title="表头各行", description="表头各行")
    grid: GridDef | None = Field(None, title="指标表", description="指标表（接在 rows 之后）")
    spacer: bool = Field(False, title="空段落", description="两张表之间的空段落（这一项只写 spacer: true）")

    @model_validator(mode="after")
    def _shape(self):
        if self.spacer:
            if self.rows or self.grid or self.widths or self.kind:
                raise ValueError("spacer: true 这一项只能写 spacer")
            return self
        if not self.kind or not self.widths:
            raise ValueError("表格要写 kind 和 widths")
        if not self.rows and self.grid is None:
            raise ValueError("表格要有 rows 或 grid")
        _check_text(self.caption)
        columns = len(self.widths)
        for i, row in enumerate(self.rows, 1):
            width = sum(c.span for c in row.cells)
            if width != columns:
                raise ValueError(f"第 {i} 行的单元格共 {width} 列，与 widths 的 {columns} 列不一致")
        if self.grid is not None:
            width = sum(c.span for c in self.grid.columns) + (1 if self.grid.side_label else 0)
            if width != columns:
                raise ValueError(f"指标表共 {width} 列，与 widths 的 {columns} 列不一致")
        return self


class HeadingDef(_Closed):
    suffix: str = Field("", title="标题后缀", description="表格标题“N.<项目名称>”后面加的文字，例如“绩效目标表”（项目写了 title 时用 title）")


class MoneyDef(_Closed):
    thousands: bool = Field(False, title="千分位", description="金额加千分位（1,234.00）；否则照写的样子印出（1234.00）")
    empty: str = Field("", title="空白金额", description="金额为空时单元格印出的文字，例如 “—” 或 “0”；默认什么也不印（导入时把它读回为空）")


# --- indicator frameworks: the 一级 and 二级 names a form's indicators use, in order ----------------

class GroupDef(_Closed):
    level1: str = Field(min_length=1, title="一级指标", description="一级指标名称，例如 产出指标")
    level2: list[Annotated[str, Field(min_length=1)]] = Field(
        min_length=1, title="二级指标", description="这个一级指标下的二级指标，按顺序")
    new_project: list[str] | None = Field(
        None, title="新项目的指标行", description="新建项目（new project 命令）时为哪些二级指标各写一行待填写的指标；不写则只写第一个")

    @model_validator(mode="after")
    def _known(self):
        stray = [n for n in self.new_project or () if n not in self.level2]
        if stray:
            raise ValueError(f"new_project 里的 {'、'.join(stray)} 不是 {self.level1} 的二级指标")
        return self


class RolesDef(_Closed):
    cost: str | None = Field(None, title="成本指标", description="成本指标所在的一级或二级指标名称（成本规则 C01–C08 检查它的行）")
    quantity: str | None = Field(None, title="数量指标", description="数量指标的二级指标名称（V05）")
    satisfaction: str | None = Field(None, title="满意度指标", description="满意度指标的一级或二级指标名称（S01–S03）")
    time: str | None = Field(None, title="时效指标", description="时效指标的二级指标名称（T01、T02）")


class Framework(_Closed):
    """一套绩效指标体系：一级、二级指标的名称和顺序。"""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$", title="指标体系名称", description="指标体系名称，ptgen.yaml 的 framework 和版式的 framework 写它")
    title: str = Field(title="中文名称", description="指标体系的中文名称")
    description: str = Field("", title="说明", description="指标体系的简要说明")
    groups: list[GroupDef] = Field(min_length=1, title="指标分组", description="一级指标及其二级指标，按应排列的顺序")
    required: list[str] = Field(default_factory=list, title="必有的指标", description="每个项目都要有的一级或二级指标（H02）")
    roles: RolesDef = Field(default_factory=RolesDef, title="特定指标", description="检查规则认得的指标：成本、数量、满意度、时效")

    @property
    def tree(self) -> dict[str, list[str]]:
        """``{一级: [二级, …]}`` in order."""
        return {g.level1: list(g.level2) for g in self.groups}

    @model_validator(mode="after")
    def _names(self):
        level1 = [g.level1 for g in self.groups]
        if len(set(level1)) != len(level1):
            raise ValueError("groups 里有重复的一级指标")
        names = set(level1) | {n for g in self.groups for n in g.level2}
        stray = [n for n in [*self.required, *(v for v in self.roles.model_dump().values() if v)] if n not in names]
        if stray:
            raise ValueError(f"{'、'.join(stray)} 不是这个指标体系的一级或二级指标")
        return self


@functools.cache
def _shipped():
    """Where ptgen's own definitions are: ``ptgen/forms`` in an installed wheel (package data), else
    the top-level ``layouts/`` folder of the source tree (an editable install, or run from the source).
    They are data beside the templates, not code: no module names a form."""
    shipped = importlib.resources.files("ptgen") / "forms"
    if shipped.is_dir():
        return shipped
    from pathlib import Path
    return Path(__file__).resolve().parents[3] / "layouts"


def _framework_file(name: str):
    return _shipped() / "frameworks" / f"{name}.yaml"


@functools.cache
def framework_names() -> tuple[str, ...]:
    """The built-in indicator frameworks (``layouts/frameworks/*.yaml``)."""
    return tuple(sorted(p.name[:-5] for p in (_shipped() / "frameworks").iterdir() if p.name.endswith(".yaml")))


@functools.cache
def framework(name: str) -> Framework:
    """A built-in framework by name; ``KeyError`` when there is none."""
    if name not in framework_names():
        raise KeyError(name)
    file = f"layouts/frameworks/{name}.yaml"
    text = _framework_file(name).read_text(encoding="utf-8")
    from pydantic import ValidationError
    try:
        data, _ = yamlio.parse(text)
        return Framework.model_validate(data)
    except yamlio.YamlProblem as p:
        raise LayoutError(file, p.line, p.column, p.message) from None
    except ValidationError as exc:
        raise LayoutError(file, 1, 1, f"指标体系定义：{exc.errors()[0]['msg']}") from None


def framework_problem(name: str) -> str | None:
    """Why ``name`` cannot be a publication's or a form's framework, or None."""
    if name in framework_names():
        return None
    return f"没有名为“{name}”的指标体系，可用的有 {'、'.join(framework_names())}"


def framework_of(settings) -> Framework:
    """The publication's indicator framework: ``framework:`` in ptgen.yaml, else its form's.  Every
    rule, ``ptgen new`` and the import read it through here."""
    return framework(settings.framework or of(settings).framework)


# --- a form ----------------------------------------------------------------------------------------

class BookmarkDef(_Closed):
    prefix: str = Field("_Toc_pt_", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", title="书签名前缀", description="书签名前缀，例如 _Toc_4_4_")
    digits: int = Field(6, ge=1, le=20, title="序号位数", description="序号位数，例如 10（_Toc_4_4_0000000105）")


class DefaultsDef(_Closed):
    """What ``ptgen init`` (and an import into a new folder) writes into a new publication's ptgen.yaml."""

    money_unit: Literal["万元", "元"] = Field("万元", title="金额单位", description="新出版物的金额单位：万元 或 元")
    numbering: Literal["per_unit", "continuous"] = Field(
        "per_unit", title="表格编号", description="per_unit：每个预算单位从 1 开始；continuous：全书连续编号")
    merge_level1: list[str] = Field(default_factory=list, title="合并的一级指标", description="一级指标列中纵向合并的类别（须是指标体系的一级指标）")
    bookmarks: BookmarkDef = Field(default_factory=BookmarkDef, title="书签命名", description="新书签名的前缀和序号位数")


class RecogniseDef(_Closed):
    """导入时怎样认出这个版式：表格里的 label 和不含字段的 text 都要出现；这里可以再加。"""

    labels: list[str] = Field(default_factory=list, title="必须出现的文字", description="除表格的标签以外，导入的文件里还必须出现的文字（比较时忽略空白）")
    text_reader: Literal["tab-cells", "pdf-lines"] | None = Field(
        None, title="文本读取方式", description="从文本（抽取的文字）导入时的读法：tab-cells 每个单元格一行、以 Tab 开头（Word 抽取的文字）；"
        "pdf-lines 从 PDF 抽取、按标签重建各行；不写则这个版式只能从 .docx 导入")


class Layout(_Closed):
    """一种发布版式（一个地区的表样）的定义。"""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$", title="版式名称", description="版式名称，ptgen.yaml 的 layout 写它")
    title: str = Field(title="中文名称", description="版式的中文名称")
    description: str = Field("", title="说明", description="版式的简要说明")
    heading: HeadingDef = Field(default_factory=HeadingDef, title="表格标题", description="表格标题的写法")
    money: MoneyDef = Field(default_factory=MoneyDef, title="金额写法", description="金额的写法")
    required: list[FieldPath] = Field(default_factory=list, title="必填字段", description="除项目名称、预算数、绩效目标和指标表各列之外，这个版式还要求填写的字段（例如 purpose）")
    font_size: float = Field(10.5, ge=6, le=20, title="表格字号", description=(
        "表格文字的字号（磅），PDF 用它，列宽也按它计算（让每个标签排成一行）；与 Word 模板的表格字号相同，"
        "默认 10.5（五号）"))
    word_template: str = Field("standard.docx", pattern=r"^[^/\\]+\.docx$", title="Word 模板",
                               description="生成 Word 文件用的模板（templates/docx/ 里的文件名；出版物可以用自己的同名模板覆盖）")
    fields: list[ExtraField] = Field(default_factory=list, title="版式特有的项目字段", description="这个版式比通用内容多出的项目字段（例如 项目性质、项目负责人）")
    indicator_fields: list[ExtraField] = Field(default_factory=list, title="版式特有的指标字段", description="指标行比通用内容多出的字段（例如 绩效标准、分值、指标解释），指标表的列可以显示它们")
    framework: str = Field("mof2021", title="指标体系", description="这个版式默认的指标体系（ptgen.yaml 不写 framework 时用它），例如 mof2015、mof2021")
    defaults: DefaultsDef = Field(default_factory=DefaultsDef, title="新出版物的设置", description="新建出版物（init 命令）时写进 ptgen.yaml 的设置")
    tables: list[TableDef] = Field(min_length=1, title="表格", description="每个项目的表格，按顺序")
    recognise: RecogniseDef = Field(default_factory=RecogniseDef, title="导入时的识别", description="导入时怎样认出这个版式")

    @model_validator(mode="after")
    def _framework_known(self):
        why = framework_problem(self.framework)
        if why:
            raise _Misfit(("framework",), why)
        level1 = framework(self.framework).tree
        for i, name in enumerate(self.defaults.merge_level1):
            if name not in level1:
                raise _Misfit(("defaults", "merge_level1", i),
                              f"defaults.merge_level1 里的“{name}”不是指标体系 {self.framework} 的一级指标（{'、'.join(level1)}）")
        return self

    @model_validator(mode="after")
    def _fields_known(self):
        extra = {f.key for f in self.fields}
        clash = extra & set(PROJECT_FIELDS)
        if clash:
            raise ValueError(f"fields 里的 {'、'.join(sorted(clash))} 是通用字段，不用声明")
        ind_extra = {f.key for f in self.indicator_fields}
        if ind_extra & set(INDICATOR_FIELDS):
            raise ValueError(f"indicator_fields 里的 {'、'.join(sorted(ind_extra & set(INDICATOR_FIELDS)))} 是通用字段，不用声明")
        for ti, t in enumerate(self.tables):
            for ri, row in enumerate(t.rows):
                for ci, c in enumerate(row.cells):
                    for path, what in ((c.value, "value"), (c.amount, "amount")):
                        if path is None:
                            continue
                        head, _, part = path.partition(".")
                        if head in extra:
                            f = next(f for f in self.fields if f.key == head)
                            if (what == "amount") != (f.kind == "money") or (part and part not in f.parts) \
                                    or (not part and f.parts):
                                raise _Misfit(("tables", ti, "rows", ri, "cells", ci, what),
                                              f"{what}: {path} 与 fields 里 {head} 的声明不符")
                        elif head not in ("name", "title", "purpose", "goals", "budget") or \
                                (head == "budget") != (what == "amount"):
                            raise _Misfit(("tables", ti, "rows", ri, "cells", ci, what),
                                          f"{what}: {path} 不是项目的字段（通用字段：name、purpose、goals、"
                                          "budget.total 等；其他字段要在 fields 里声明）")
            if t.grid is not None:
                for ci, col in enumerate(t.grid.columns):
                    if col.field not in INDICATOR_FIELDS and col.field not in ind_extra:
                        raise _Misfit(("tables", ti, "grid", "columns", ci, "field"),
                                      f"指标表的列 field: {col.field} 不是指标的字段（level1、level2、name、description、"
                                      "value，或在 indicator_fields 里声明）")
        return self


class LayoutError(Exception):
    """A definition that cannot be used: file, line, column and a sentence."""

    def __init__(self, file: str, line: int, column: int, message: str):
        super().__init__(f"{file}:{line}:{column}: {message}")
        self.file, self.line, self.column, self.message = file, line, column, message


def parse(text: str, file: str) -> Layout:
    """A definition from its YAML text; :class:`LayoutError` (with the position) when it is malformed."""
    from pydantic import ValidationError
    try:
        data, positions = yamlio.parse(text)
    except yamlio.YamlProblem as p:
        raise LayoutError(file, p.line, p.column, p.message) from None
    try:
        return Layout.model_validate(data)
    except _Misfit as exc:
        loc = exc.loc
        while loc and loc not in positions:
            loc = loc[:-1]
        line, col = positions.get(loc, (1, 1))
        raise LayoutError(file, line, col, f"版式定义：{exc.message}") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(p for p in err["loc"] if isinstance(p, (str, int)))
        msg = str(err["msg"]).removeprefix("Value error, ")
        if (m := re.match(r"第 (\d+) 行", msg)) and (*loc, "rows", int(m.group(1)) - 1) in positions:
            loc = (*loc, "rows", int(m.group(1)) - 1)  # a table's error about one of its rows: at the row
        elif msg.startswith("指标表") and (*loc, "grid") in positions:
            loc = (*loc, "grid")
        while loc and loc not in positions:
            loc = loc[:-1]
        line, col = positions.get(loc, (1, 1))
        where = ".".join(str(p) for p in err["loc"])
        raise LayoutError(file, line, col, f"版式定义的 {where}：{msg}" if where else f"版式定义：{msg}") from None


@functools.cache
def builtin(name: str) -> Layout:
    """A built-in definition by name; ``KeyError`` when there is none."""
    if name not in builtin_names():
        raise KeyError(name)
    res = _shipped() / f"{name}.yaml"
    return parse(res.read_text(encoding="utf-8"), f"layouts/{name}.yaml")


@functools.cache
def builtin_names() -> tuple[str, ...]:
    return tuple(sorted(p.name[:-5] for p in _shipped().iterdir() if p.name.endswith(".yaml")))


def get(name: str) -> Layout:
    """A built-in definition by name (a publication's own are found by :func:`find`)."""
    return builtin(name)


def of(settings) -> Layout:
    """The definition a publication's settings name: the one ``load`` resolved (the publication's
    own ``layouts/NAME.yaml`` or a built-in), else the built-in of that name."""
    return getattr(settings, "_layout", None) or builtin(settings.layout)


PUBLICATION_FOLDER = "layouts"  # a publication's own definitions: <publication>/layouts/NAME.yaml


def names(root=None) -> list[str]:
    """Every layout name a publication in ``root`` can use: its own, then the built-in ones."""
    from pathlib import Path
    own = []
    if root is not None and (Path(root) / PUBLICATION_FOLDER).is_dir():
        own = sorted(p.stem for p in (Path(root) / PUBLICATION_FOLDER).glob("*.yaml"))
    return own + [n for n in builtin_names() if n not in own]


def own(root) -> list[Layout]:
    """A publication's own definitions (``root/layouts/*.yaml``), read with the content files' limits;
    :class:`LayoutError` for one that is malformed or a link out of the publication."""
    from pathlib import Path
    folder = Path(root) / PUBLICATION_FOLDER
    out = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        rel = f"{PUBLICATION_FOLDER}/{path.name}"
        if not path.resolve().is_relative_to(Path(root).resolve()):
            raise LayoutError(rel, 1, 1, "版式定义是指向出版物文件夹以外的链接（符号链接）：ptgen 不会读取它。")
        try:
            out.append(parse(yamlio.decode(yamlio.read_bytes(path)), rel))
        except yamlio.YamlProblem as p:
            raise LayoutError(rel, p.line, p.column, p.message) from None
        except OSError as exc:  # a folder or a special file named *.yaml
            raise LayoutError(rel, 1, 1, f"无法读取版式定义：{exc.strerror or exc}。") from None
    return out


def field_value(obj, path: str):
    """``obj.a.b`` for a definition's field path, looking in ``obj.extras`` for a field the layout
    declared; None where any part is unset (it prints empty).  Private names are never read."""
    for part in _parts(path):
        if obj is None or part[0] == "_":
            return None
        # A model's fields are in its __dict__ (pydantic keeps them there): read them directly,
        # since every cell of every table asks (getattr on a model is several times slower).
        d = obj if isinstance(obj, dict) else getattr(obj, "__dict__", {})
        if part in d and part != "extras":
            obj = d[part]
        else:
            obj = d.get("extras", {}).get(part) if not isinstance(obj, dict) else None
    return obj


@functools.cache
def _parts(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))


def grid_of(layout: Layout) -> TableDef | None:
    """The table that holds the indicator grid."""
    return next((t for t in layout.tables if t.grid is not None), None)


def grid_fields(layout: Layout) -> list[str]:
    """The indicator fields the form's grid shows, left to right."""
    t = grid_of(layout)
    return [c.field for c in t.grid.columns] if t else []


def shown_fields(layout: Layout) -> set[str]:
    """The project fields the form's cells print (``value:`` and ``amount:`` paths, e.g.
    ``budget.fiscal``): what a published table of it can carry."""
    return {path for t in layout.tables for row in t.rows for c in row.cells
            for path in (c.value, c.amount) if path is not None}


def field_title(path: str, layout: Layout | None = None) -> str:
    """A project field's Chinese name, for messages: its title in the content model, or in the
    layout's declaration of it."""
    from ..model import Budget, Project
    head, _, rest = path.partition(".")
    if layout is not None:
        for f in layout.fields:
            if f.key == head:
                if rest and rest in f.parts and f.part_titles:
                    return f.part_titles[f.parts.index(rest)]
                return f.title
    owner = Budget if head == "budget" and rest else Project if not rest else None
    info = owner.model_fields.get(rest or head) if owner else None
    return info.title if info is not None and info.title else path


def cell_map(layout: Layout) -> str:
    """The form as text, row by row, so a publisher can see it before choosing it: a label as
    written (``⏎`` where it breaks its line), ``‹field›`` for a text field, ``‹¥field›`` for an amount, ``↑`` for a cell merged
    with the one above; ``×N`` spans N columns, ``↓N`` merges N rows."""
    def show(text: str, span: int = 1, rows: int = 1) -> str:
        return text + (f" ×{span}" if span > 1 else "") + (f" ↓{rows}" if rows > 1 else "")

    fw, d = framework(layout.framework), layout.defaults
    numbering = {"per_unit": "每个预算单位从 1 编号", "continuous": "全书连续编号"}[d.numbering]
    lines = [f"{layout.name}：{layout.title}", layout.description,
             f"指标体系：{fw.name}（{fw.title}）：" + "；".join(f"{g.level1}（{'、'.join(g.level2)}）" for g in fw.groups),
             f"新出版物（ptgen init）：金额单位 {d.money_unit}，{numbering}，合并的一级指标 "
             f"{'、'.join(d.merge_level1) or '无'}，书签名 {d.bookmarks.prefix} 加 {d.bookmarks.digits} 位序号", ""]
    for i, t in enumerate(layout.tables, 1):
        if t.spacer:
            lines.append(f"（第 {i} 项：空段落）")
            continue
        lines.append(f"表格 {t.kind}（{len(t.widths)} 列，相对列宽 {', '.join(map(str, t.widths))}）")
        for row in t.rows:
            cells = []
            for c in row.cells:
                kind = c.kind
                text = {"label": lambda: c.label.replace("\n", "⏎"), "text": lambda: c.text or "（空）", "value": lambda: f"‹{c.value}›",
                        "amount": lambda: f"‹¥{c.amount}›", "merged": lambda: "↑"}[kind]()
                cells.append(show(text or "（空）", c.span, c.rows))
            flags = [w for w, on in (("无框线", row.borderless), ("可跨页", row.can_split), ("跨页重复", row.header)) if on]
            lines.append("  | " + " | ".join(cells) + " |" + (f"  （{'，'.join(flags)}）" if flags else ""))
        if t.grid is not None:
            g = t.grid
            side = [g.side_label + " ↓（表头和每个指标）"] if g.side_label else []
            lines.append("  | " + " | ".join(side + [show(c.head, c.span) for c in g.columns]) + " |"
                         + ("  （跨页重复）" if g.header_repeats else ""))
            merge = {"level1": "，合并 merge_level1 所列的一级指标", "level2": "，在合并的一级指标内合并"}
            lines.append("  | " + " | ".join((["↑"] if g.side_label else []) +
                                            [show(f"‹{c.field}›", c.span) for c in g.columns]) + " |  （每个指标一行）")
            for c in g.columns:
                if c.merge:
                    lines.append(f"    {c.head}：纵向合并相同的值{merge[c.merge]}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


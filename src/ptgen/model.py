"""The content model: publication settings, departments, units, projects and indicators.

Pure data: no I/O and no formatting.  Money is ``Decimal`` and keeps the scale it was
written with (``Decimal("154.00")`` prints as ``154.00``); an empty amount is ``None``.
Indicator values are kept exactly as written; :mod:`ptgen.values` parses them for checks.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, PrivateAttr,
                      ValidationInfo, WithJsonSchema, field_validator)

# An amount has at most 12 digits before the point and 6 after: 999,999,999,999.999999 is about a
# trillion 元 (more than any one project) and 6 decimals of 万元 are 分.  So an amount has at most 18
# digits and a sum of a million of them 24: within Decimal's 28 digits, every total stays exact.
MONEY_INT_DIGITS, MONEY_FRAC_DIGITS = 12, 6
# ASCII digits only: Python's \d takes full-width "１２" too, which the build would print as "12"
MONEY_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
MONEY_LIMIT_RE = re.compile(rf"^-?[0-9]{{1,{MONEY_INT_DIGITS}}}(\.[0-9]{{1,{MONEY_FRAC_DIGITS}}})?$")
# Invisible control characters (pasted from other programs): XML 1.0, so a .docx, cannot hold most
# of them, and no font draws them.  ``ptgen check`` reports each (X08); the build drops them.
# The bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) as well: invisible,
# they reorder what is shown, so a value could print other than it reads in review ("Trojan source").
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")
# The same in a model's JSON, where those below U+0020 are escaped (``\u000b``, ``\b``, ``\f``).
_CONTROL_IN_JSON = re.compile(r"\\u00(0[0-8bcef]|1[0-9a-f])|\\[bf]|[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]",
                              re.I)


def has_control(model: BaseModel) -> bool:
    """Whether a text anywhere in ``model`` may hold a control character: a quick test (pydantic
    writes the JSON in Rust) that can say yes wrongly (``\\b`` typed as text), never no wrongly."""
    return _CONTROL_IN_JSON.search(model.model_dump_json()) is not None


def _parse_money(raw: object) -> Decimal | None:
    if raw is None or isinstance(raw, Decimal):
        return raw
    if not isinstance(raw, str):
        raise ValueError("应为金额文本，例如 154.00")
    text = raw.strip()
    if text == "":
        return None
    if not MONEY_RE.match(text):
        wide = "（其中有全角或其他文字的数字，请改用半角数字 0–9）" if re.search(r"(?![0-9])\d", text) else ""
        raise ValueError(f"金额“{raw}”格式不对：只写数字和小数点，不带单位、逗号或空格，例如 154.00{wide}")
    if not MONEY_LIMIT_RE.match(text):
        shown = text if len(text) <= 40 else text[:40] + "……"
        raise ValueError(f"金额“{shown}”位数太多：整数部分最多 {MONEY_INT_DIGITS} 位，小数最多 {MONEY_FRAC_DIGITS} 位。")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
        raise ValueError(f"金额“{raw}”无法识别") from exc


Money = Annotated[
    Decimal | None,
    BeforeValidator(_parse_money),
    PlainSerializer(lambda d: "" if d is None else str(d), return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^(-?\d{1,12}(\.\d{1,6})?)?$", "title": "金额",
                    "description": "金额，按发布的小数位书写，例如 154.00；留空表示空白单元格"}),
]


def _restore(cls: type, values: dict, fields_set: set) -> BaseModel:
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", fields_set)
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    def __reduce__(self):
        # The check cache pickles every project (16 rows each): its values and which were set,
        # restored directly, pickle and unpickle in ~70% of the time of pydantic's general
        # __getstate__/__setstate__.  A model with private attributes or extras goes the general way.
        if self.__pydantic_private__ or self.__pydantic_extra__:
            return super().__reduce__()
        return _restore, (type(self), self.__dict__, self.__pydantic_fields_set__)


class Indicator(_Strict):
    """One row of the indicator grid, in published order."""

    level1: str = Field(description="一级指标，例如 产出指标", title="一级指标")
    level2: str = Field(description="二级指标，例如 数量指标", title="二级指标")
    name: str = Field(description="三级指标（指标名称）", title="三级指标")
    description: str | None = Field(None, description="绩效指标描述（上海版式没有这一列）", title="绩效指标描述")
    value: str = Field(description="指标值，照原样书写，例如 ≥10套、≤2216.61万元、2025年12月31日前", title="指标值")
    extras: dict[str, Any] = Field(default_factory=dict, title="版式特有的字段",
                                   description="版式在 indicator_fields 里声明的字段（例如 绩效标准、分值），在指标行里直接写字段名")


class Budget(_Strict):
    """预算数 and its parts, in the publication's money unit."""

    total: Money = Field(None, title="预算数", description="预算数（上海：年度资金申请总额）")
    fiscal: Money = Field(None, title="财政资金", description="其中：财政资金（上海：当年财政拨款）")
    carryover: Money = Field(None, title="上年结转资金", description="上年结转资金（上海版式）")
    other: Money = Field(None, title="其他资金", description="其他资金")


@dataclass
class BudgetTotals:
    """预算数, 财政资金 and 其他资金 summed over projects (a blank amount counts as 0)."""

    total: Decimal = Decimal(0)
    fiscal: Decimal = Decimal(0)
    other: Decimal = Decimal(0)

    def add(self, budget: Budget) -> None:
        self.total += budget.total or 0
        self.fiscal += budget.fiscal or 0
        self.other += budget.other or 0


def _check_id(ident: str | None) -> str | None:
    from .ids import problem
    if ident is not None and (why := problem(ident)):
        raise ValueError(why + "。")
    return ident


class Project(_Strict):
    """Everything one published 绩效目标表 shows."""

    name: str = Field(title="项目名称")
    title: str | None = Field(None, title="表格标题", description="仅当发布的标题与“项目名称+绩效目标表”不同时填写")
    bookmark: str = Field(title="书签名", description="表格标题的 Word 书签名，照发布原样保留，例如 _Toc_4_4_0000000105")
    id: Annotated[str | None, AfterValidator(_check_id)] = Field(
        None, title="项目标识", description="项目跨年度不变的标识（导入、新建项目、转入下一年度时生成），例如 6KQ2-M8VD；出版物内不能重复")
    budget: Budget = Field(title="预算", description="预算数及其构成")
    purpose: str | None = Field(None, title="资金用途")
    goals: str = Field("", title="绩效目标", description="绩效目标（上海：年度总体目标），每行一段")
    indicators: list[Indicator] = Field(default_factory=list, title="绩效指标", description="按发布顺序排列的指标行")
    # The fields a form has beyond these (上海: 项目性质, 项目资金 …), as its layout definition declares
    # them (``fields:``); written as top-level keys of the project file, checked by ``load``.
    extras: dict[str, Any] = Field(default_factory=dict, title="版式特有的字段",
                                   description="版式在 fields 里声明的字段（例如 项目性质、项目资金），在项目文件里直接写字段名")


CODE_RE = re.compile(r"[0-9A-Za-z]*")


def _check_code(code: str | None) -> str | None:
    """A unit or department code is digits and letters only: it goes into bookmark names and ids."""
    if code is not None and not CODE_RE.fullmatch(code):
        raise ValueError(f"编码“{code}”只能由数字和英文字母组成（例如 353101），不能有空格、引号或其他符号。")
    return code


Code = Annotated[str | None, AfterValidator(_check_code)]


class Unit(_Strict):
    """A budget unit (预算单位): ``unit.yaml`` in its folder."""

    code: Code = Field(None, title="单位编码", description="例如 353101；上海版式可留空")
    name: str = Field(title="单位名称")
    projects: list[str] = Field(default_factory=list, title="项目文件", description="本单位的项目文件名，按发布顺序")


class Department(_Strict):
    """A department (主管部门): ``department.yaml`` in its folder."""

    code: Code = Field(None, title="部门编码", description="例如 353")
    name: str = Field(title="部门名称")
    units: list[str] = Field(default_factory=list, title="预算单位", description="预算单位文件夹名，按发布顺序")


class BookmarkScheme(_Strict):
    """How bookmark names are made: ``prefix`` + a number padded to ``digits``."""

    prefix: str = Field("_Toc_4_4_", description="书签名前缀，例如 _Toc_4_4_ 或 _Toc")
    digits: int = Field(10, ge=1, le=20, description="序号位数，例如 10（_Toc_4_4_0000000105）或 9（_Toc126829020）")


class RuleSetting(_Strict):
    """Per-publication override of one lint rule."""

    enabled: bool = True
    severity: Literal["error", "warning", "info"] | None = None


_SPACE_RE = re.compile(r"\s+")


def _known_framework(name: str | None) -> str | None:
    """A built-in framework's name; empty (``framework:`` with no value) is the same as not written."""
    from . import layouts
    if name is None or not name.strip():
        return None
    why = layouts.framework_problem(name)
    if why:
        raise ValueError(f"{why}（不写则用版式的指标体系）。")
    return name


class Settings(_Strict):
    """``ptgen.yaml``: one publication."""

    # The layout definition ``layout`` names, resolved by ``load`` (a publication's own
    # ``layouts/NAME.yaml`` or a built-in one); read it with ``ptgen.layouts.of(settings)``.
    _layout: Any = PrivateAttr(None)

    title: str = Field(title="出版物标题")
    title_lines: list[Annotated[str, Field(min_length=1)]] | None = Field(
        None, min_length=1, title="封面标题分行", description=(
            "封面上标题怎样分行：逐行写出，连起来（不计空白）要与 title 相同；不写则在词组之间自动分行"))
    issuer: str | None = Field(None, title="发布单位", description="印在封面标题下方的发布单位，例如 天津市人力资源和社会保障局；不写则不印")
    date: str | None = Field(None, title="发布日期", description="印在封面上的发布日期，照写的样子，例如 2025年1月；不写则不印")
    year: int = Field(ge=1990, le=2100, title="预算年度")
    region: str = Field(title="地区")
    money_unit: Literal["万元", "元"] = Field("万元", title="金额单位")
    layout: str = Field(pattern=r"^[a-z][a-z0-9_-]*$", title="版式",
                        description="发布的表样：ptgen 自带的版式（命令 layouts 列出）或出版物 layouts/ 文件夹里自己定义的")
    numbering: Literal["per_unit", "continuous"] = Field(
        "per_unit", title="表格编号", description="per_unit：每个预算单位从 1 开始；continuous：全书连续编号")
    bookmarks: BookmarkScheme = Field(default_factory=BookmarkScheme, title="书签命名")
    framework: Annotated[str | None, AfterValidator(_known_framework)] = Field(
        None, title="指标体系", description="mof2015：成本指标为产出指标下的二级；mof2021：成本指标为一级；不写则用版式的指标体系")
    merge_level1: list[str] = Field(default_factory=lambda: ["产出指标"], title="合并的一级指标",
                                    description="一级指标列中纵向合并的类别（天津发布稿只合并产出指标）")
    departments: list[str] = Field(default_factory=list, title="主管部门", description="部门文件夹名，按发布顺序")
    templates: str | None = Field(None, title="模板文件夹", description=(
        "自定义模板所在的文件夹（相对 ptgen.yaml），内有 docx/<版式>.docx 或 html/ 下的模板；缺的文件用 ptgen 自带的"))
    markdown: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]] = Field(
        default_factory=list, title="使用 Markdown 的字段", description=(
            "这些文字字段按轻量 Markdown 排版（**粗体**、*斜体*、“1. ”“- ”列表），例如 [goals]；"
            "默认没有：所有文字照原样印出"))
    pdf_font: str = Field("Noto Serif CJK SC", title="PDF 字体", description="PDF 使用的中文字体（须已安装），默认 Noto Serif CJK SC")
    rules: dict[str, RuleSetting | Literal["off", "error", "warning", "info"]] = Field(
        default_factory=dict, title="检查规则设置", description="按规则代码关闭规则或改变严重程度，例如 V07: off")

    @field_validator("title_lines")
    @classmethod
    def _lines_make_title(cls, lines: list[str] | None, info: ValidationInfo) -> list[str] | None:
        title = info.data.get("title")
        if lines is not None and title is not None and _SPACE_RE.sub("", "".join(lines)) != _SPACE_RE.sub("", title):
            raise ValueError("封面标题各行连起来（不计空白）要与 title 相同：这里只写标题在哪里分行")
        return lines


# --- the loaded tree ---------------------------------------------------------------------------

Pos = tuple[int, int]  # 1-based line and column
KeyPath = tuple[str | int, ...]


@dataclass
class Source:
    """A content file as loaded: where it is and where each value stood in it."""

    path: Path
    rel: str
    positions: Mapping[KeyPath, Pos] = field(default_factory=dict)  # yamlio.FilePositions: read when asked

    def pos(self, *path: str | int) -> Pos:
        """Line and column of the value at ``path``, else of its nearest parent."""
        p: KeyPath = tuple(path)
        while p:
            if p in self.positions:
                return self.positions[p]
            p = p[:-1]
        return self.positions.get((), (1, 1))


@dataclass
class ProjectDoc:
    project: Project
    source: Source

    # A project from the check cache (ptgen.cache) stays pickled until something reads its model:
    # a check whose files did not change never does, so it does not unpickle 10,000 projects to
    # compare two names of each.  Those names (what the rules across files read) come with it.
    @staticmethod
    def facts(project: Project) -> tuple[str, str | None]:
        """What the rules across files read of every project: its bookmark and its identity."""
        return project.bookmark, project.id

    @classmethod
    def later(cls, read: Callable[[], Project], source: Source, facts: tuple[str, str | None]) -> ProjectDoc:
        """A project whose model ``read()`` gives when it is first asked for."""
        doc = cls.__new__(cls)
        doc.__dict__.update(source=source, _read=read, _facts=facts)
        return doc

    def __getattr__(self, name: str):  # only for what is not set: the project of a doc made by later()
        if name == "project" and "_read" in self.__dict__:
            project = self.__dict__["project"] = self.__dict__.pop("_read")()
            del self.__dict__["_facts"]
            return project
        raise AttributeError(name)

    @property
    def bookmark(self) -> str:
        facts = self.__dict__.get("_facts")
        return facts[0] if facts is not None else self.project.bookmark

    @property
    def ident(self) -> str | None:
        """The project's identity (``id``)."""
        facts = self.__dict__.get("_facts")
        return facts[1] if facts is not None else self.project.id


@dataclass
class UnitDoc:
    folder: str
    unit: Unit
    source: Source
    projects: list[ProjectDoc] = field(default_factory=list)


@dataclass
class DepartmentDoc:
    folder: str
    department: Department
    source: Source
    units: list[UnitDoc] = field(default_factory=list)


@dataclass
class Publication:
    """A whole publication: settings and the department → unit → project tree, in order."""

    root: Path
    settings: Settings
    source: Source
    departments: list[DepartmentDoc] = field(default_factory=list)
    unreadable: int = 0  # files that could not be loaded (errors): the projects in them are missing

    @property
    def name(self) -> str:
        """The publication's name in output paths: its folder's real name (``ptgen build .`` too)."""
        return self.root.resolve().name or "publication"

    def projects(self):
        """Yield ``(department, unit, project)`` in published order."""
        for d in self.departments:
            for u in d.units:
                for p in u.projects:
                    yield d, u, p

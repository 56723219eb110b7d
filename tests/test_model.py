"""The model keeps money exactly and refuses what it cannot hold; YAML written by ptgen reads back the same."""
from __future__ import annotations

from decimal import Decimal

import pytest
import yaml
from pydantic import ValidationError

from ptgen import yamlio
from ptgen.content import project_yaml
from ptgen.model import Budget, Indicator, Project


def test_money_keeps_its_published_scale_and_empty_stays_empty():
    b = Budget(total="4340.00", fiscal="0.12", other="")
    assert str(b.total) == "4340.00" and b.fiscal == Decimal("0.12") and b.other is None
    assert isinstance(b.total, Decimal)


@pytest.mark.parametrize("bad", ["1,234.00", "12万元", "NaN", "1e3", " ",
                                 "１２.00", "٣", "12.５0"])  # not ASCII digits: printed changed ("12.00"), schema refuses
def test_money_rejects_what_is_not_a_plain_amount(bad):
    if bad.strip() == "":
        assert Budget(total=bad).total is None
        return
    with pytest.raises(ValidationError):
        Budget(total=bad)


def test_models_are_closed_and_frozen():
    with pytest.raises(ValidationError):
        Indicator(level1="a", level2="b", name="c", value="d", colour="red")
    ind = Indicator(level1="a", level2="b", name="c", value="d")
    with pytest.raises(ValidationError):
        ind.value = "e"


@pytest.mark.parametrize("text", ["0.12", "100%", "2025-12-31", "no", "08", "~", "null", "- x", "a: b", "#1",
                                  "≥10套", "第一段\n第二段", "结尾空行\n", "  前导空格", "尾随空格 ", "引号\"和'"])
def test_written_yaml_reads_back_exactly_and_is_never_misread(text):
    p = Project(name=text, bookmark="_Toc_1", budget=Budget(total="1.00"), goals=text,
                indicators=[Indicator(level1="产出指标", level2="数量指标", name=text, description=text, value=text)])
    out = project_yaml(p)
    data, _ = yamlio.parse(out)
    assert Project.model_validate(data) == p
    # A plain YAML 1.1 reader (PyYAML, editors) sees text too, never a number, date, bool or null.
    plain = yaml.safe_load(out)
    assert isinstance(plain["name"], str)

"""The one money filter: every template, printouts included, shows amounts as 1,234.50."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from nrcms.web.templatetags.numbers import yuan


def test_yuan_filter_is_available_in_every_template_without_load():
    html = Template("{{ a|yuan }} {{ b|yuan }} {{ c|yuan }}|{{ d|yuan }}|").render(
        Context({"a": Decimal("4000"), "b": Decimal("-1234.5"), "c": "12.3", "d": None}))
    assert html == "4,000.00 -1,234.50 12.30||"


def test_yuan_filter_leaves_non_numbers_alone_and_refuses_floats():
    assert yuan("—") == "—"
    with pytest.raises(TypeError):
        yuan(1.5)

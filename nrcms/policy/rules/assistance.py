"""Medical assistance (医疗救助) by identity category: a yearly threshold on the accumulated base, a rate and
an annual cap per category. A person holding several categories takes the first the scheme lists, so the
county decides the order (五保 before 低保, say) in its file, not in code."""

from __future__ import annotations

from decimal import Decimal

from nrcms.core.money import ZERO

from ..parameters import Assistance
from ..types import ExplanationLine, YearToDate
from .cap import room_left
from .rounding import pay

CATEGORY_LABELS = {"wubao": "五保户", "tekun": "特困供养", "dibao": "低保", "registered_poor": "建档立卡贫困户",
                   "disabled": "残疾人", "martyr_family": "优抚对象"}


def assistance_category(rule: Assistance, categories: frozenset[str]) -> str | None:
    if categories:
        for category in rule.categories:
            if category in categories:
                return category
    return None


def assistance_pay(rule: Assistance, categories: frozenset[str], base: Decimal, ytd: YearToDate, rounding: str
                   ) -> tuple[Decimal, ExplanationLine | None]:
    category = assistance_category(rule, categories)
    if category is None:
        return ZERO, None
    c = rule.categories[category]
    before, after = ytd.assistance_base, ytd.assistance_base + base
    above = max(after - c.threshold, ZERO) - max(before - c.threshold, ZERO)
    raw = above * c.rate
    room = room_left(c.annual_cap, ytd.assistance_paid)
    paid = pay(raw, rounding, min(room, base))
    return paid, ExplanationLine(
        "assistance", "医疗救助（{}）：基数 {} 元，年度起付 {} 元以上部分 {} 元 × {:%}，年度限额剩余 {} 元，支付 {} 元", paid,
        (CATEGORY_LABELS.get(category, category), base, c.threshold, above, c.rate, room, paid))

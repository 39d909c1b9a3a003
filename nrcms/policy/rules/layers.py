"""Layers after the basic scheme, each on what the earlier layers left to the patient:
catastrophic insurance (大病保险) with a yearly deductible, tiers and cap; medical assistance (医疗救助) by
identity category with a yearly threshold, rate and cap; the safety net (兜底) topping registered poor
patients up to a guaranteed ratio; and an overall ceiling on the fund's total for the episode."""

from __future__ import annotations

from decimal import Decimal

from nrcms.core.money import ZERO, round_amount

from ..scheme import Assistance, Catastrophic, Ceiling, SafetyNet
from ..types import Line, Person, YearToDate
from .tiers import yearly_tiered

CATEGORY_LABELS = {"wubao": "五保户", "tekun": "特困供养", "dibao": "低保", "registered_poor": "建档立卡贫困户",
                   "disabled": "残疾人", "martyr_family": "优抚对象"}


def catastrophic_pay(rule: Catastrophic, base: Decimal, ytd: YearToDate, rounding: str) -> tuple[Decimal, Line]:
    before, after = ytd.catastrophic_base, ytd.catastrophic_base + base
    raw = round_amount(yearly_tiered(before, after, rule.deductible, rule.tiers), rounding)
    room = max(rule.annual_cap - ytd.catastrophic_paid, ZERO)
    paid = min(raw, room, base)
    return paid, Line("catastrophic", f"大病保险：本次合规自付 {base} 元，年度累计 {after} 元（起付 {rule.deductible} 元），"
                      f"按段计得 {raw} 元，年度限额剩余 {room} 元，支付 {paid} 元", paid)


def assistance_category(rule: Assistance, person: Person) -> str | None:
    for category in rule.categories:
        if category in person.categories:
            return category
    return None


def assistance_pay(rule: Assistance, person: Person, base: Decimal, ytd: YearToDate, rounding: str
                   ) -> tuple[Decimal, Line | None]:
    category = assistance_category(rule, person)
    if category is None:
        return ZERO, None
    c = rule.categories[category]
    before, after = ytd.assistance_base, ytd.assistance_base + base
    above = max(after - c.threshold, ZERO) - max(before - c.threshold, ZERO)
    raw = round_amount(above * c.rate, rounding)
    room = max(c.annual_cap - ytd.assistance_paid, ZERO)
    paid = min(raw, room, base)
    label = CATEGORY_LABELS.get(category, category)
    return paid, Line("assistance", f"医疗救助（{label}）：剩余合规自付 {base} 元，年度起付 {c.threshold} 元以上部分 {above} 元 × "
                      f"{(c.rate * 100).normalize():f}% = {raw} 元，年度限额剩余 {room} 元，支付 {paid} 元", paid)


def safety_net_pay(rule: SafetyNet, person: Person, base_amount: Decimal, self_pay: Decimal, rounding: str
                   ) -> tuple[Decimal, Line | None]:
    if not any(c in person.categories for c in rule.categories):
        return ZERO, None
    allowed = round_amount(base_amount * (1 - rule.guaranteed_ratio))
    top_up = max(self_pay - allowed, ZERO)
    top_up = round_amount(top_up, rounding) if rounding == "fen" else min(round_amount(top_up, rounding), self_pay)
    base_label = "政策范围内费用" if rule.base == "in_policy_cost" else "总费用"
    return top_up, Line("safety_net", f"兜底保障：{base_label} {base_amount} 元的个人负担不超过 "
                        f"{((1 - rule.guaranteed_ratio) * 100).normalize():f}%（{allowed} 元），现负担 {self_pay} 元，"
                        f"兜底支付 {top_up} 元", top_up)


def ceiling_limit(rule: Ceiling, eligible: Decimal, total: Decimal) -> Decimal:
    return round_amount((eligible if rule.base == "in_policy_cost" else total) * rule.ratio)

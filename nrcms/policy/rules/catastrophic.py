"""Catastrophic insurance (大病保险): on what the basic scheme left to the patient (the scheme's `base`), above
a deductible paid once a year, by cumulative tiers, within an annual cap. The year's base accumulates in
YearToDate.catastrophic_base, so the deductible is met once however the year's stays fall."""

from __future__ import annotations

from decimal import Decimal

from ..parameters import Catastrophic
from ..types import ExplanationLine, YearToDate
from .cap import room_left
from .rounding import pay
from .tiers import accumulated_payment


def catastrophic_pay(rule: Catastrophic, base: Decimal, ytd: YearToDate, rounding: str
                     ) -> tuple[Decimal, ExplanationLine]:
    before = ytd.catastrophic_base
    raw = accumulated_payment(before, base, rule.deductible, rule.tiers)
    room = room_left(rule.annual_cap, ytd.catastrophic_paid)
    paid = pay(raw, rounding, min(room, base))
    return paid, ExplanationLine(
        "catastrophic", "大病保险：本次基数 {} 元，年度累计 {} 元（年度起付线 {} 元），按段计得 {} 元，"
        "年度限额剩余 {} 元，支付 {} 元", paid, (base, before + base, rule.deductible, raw, room, paid))

"""Outpatient pooling (门诊统筹): a rate by facility level, limited per visit, per person per day at that
level, and per person per year (all levels together)."""

from __future__ import annotations

from decimal import Decimal

from nrcms.core.money import ZERO, round_amount

from ..parameters import LEVEL_LABELS, OutpatientPooling
from ..types import ExplanationLine, YearToDate
from .cap import room_left
from .rounding import pay


def pooling_pay(rule: OutpatientPooling, level: str, base: Decimal, ytd: YearToDate, rounding: str
                ) -> tuple[Decimal, ExplanationLine]:
    terms = rule.by_level.get(level)
    if terms is None:
        return ZERO, ExplanationLine("outpatient_pooling", "{}不在门诊统筹范围", ZERO,
                                     (LEVEL_LABELS.get(level, level),))
    raw = base * terms.rate
    limit, text, args = base, "门诊统筹：{} 元 × {:%} = {} 元", [base, terms.rate, round_amount(raw)]
    if terms.per_visit_cap is not None and terms.per_visit_cap < limit:
        limit = terms.per_visit_cap
        text += "；每次限额 {} 元"
        args.append(terms.per_visit_cap)
    if terms.per_day_cap is not None:
        day_room = room_left(terms.per_day_cap, ytd.outpatient_paid_today)
        if day_room < limit:
            limit = day_room
            text += "；每日限额 {} 元，当日已付 {} 元"
            args += [terms.per_day_cap, ytd.outpatient_paid_today]
    if rule.annual_cap is not None:
        year_room = room_left(rule.annual_cap, ytd.outpatient_pooling_paid)
        if year_room < limit:
            limit = year_room
            text += "；年度限额 {} 元，剩余 {} 元"
            args += [rule.annual_cap, year_room]
    paid = pay(raw, rounding, limit)
    args.append(paid)
    return paid, ExplanationLine("outpatient_pooling", text + "；支付 {} 元", paid, tuple(args))

"""Outpatient care: the household's family account (家庭账户, rolls over), outpatient pooling (门诊统筹:
a rate by facility level with per-visit and annual caps), or the family account first and pooling for the
rest; chronic-disease outpatient (门诊慢性病) has its own rate and annual cap."""

from __future__ import annotations

from decimal import Decimal

from nrcms.core.money import ZERO, round_amount

from ..scheme import Outpatient
from ..types import Episode, Line, YearToDate
from .fixed_fee import diagnosis_matches


def family_account_pay(amount: Decimal, balance: Decimal) -> tuple[Decimal, Line]:
    paid = min(amount, max(balance, ZERO))
    return paid, Line("family_account", f"家庭账户支付 {paid} 元（余额 {balance} 元）", paid)


def pooling_pay(rule: Outpatient, episode: Episode, base: Decimal, ytd: YearToDate, rounding: str
                ) -> tuple[Decimal, Decimal, list[Line]]:
    """(pooling paid, chronic paid, lines)."""
    lines: list[Line] = []
    if rule.chronic is not None and diagnosis_matches(episode.diagnosis_code, rule.chronic.diagnoses):
        raw = round_amount(base * rule.chronic.rate, rounding)
        room = max(rule.chronic.annual_cap - ytd.chronic_paid, ZERO)
        paid = min(raw, room)
        lines.append(Line("chronic", f"门诊慢性病：{base} × {_pct(rule.chronic.rate)} = {raw} 元；年度限额剩余 {room} 元，"
                          f"支付 {paid} 元", paid))
        return ZERO, paid, lines
    level = rule.pooling.by_level.get(episode.facility_level) if rule.pooling else None
    if level is None:
        lines.append(Line("pooling", "该级别医疗机构不在门诊统筹范围", ZERO))
        return ZERO, ZERO, lines
    raw = round_amount(base * level.rate, rounding)
    paid = raw
    text = f"门诊统筹：{base} × {_pct(level.rate)} = {raw} 元"
    if level.per_visit_cap is not None and paid > level.per_visit_cap:
        paid = level.per_visit_cap
        text += f"；每次限额 {level.per_visit_cap} 元"
    if level.per_day_cap is not None:
        day_room = max(level.per_day_cap - ytd.outpatient_paid_today, ZERO)
        if paid > day_room:
            paid = day_room
            text += f"；每日限额 {level.per_day_cap} 元，当日已付 {ytd.outpatient_paid_today} 元"
    if rule.pooling.annual_cap is not None:
        room = max(rule.pooling.annual_cap - ytd.outpatient_pooling_paid, ZERO)
        if paid > room:
            paid = room
            text += f"；年度限额剩余 {room} 元"
    lines.append(Line("pooling", f"{text}，支付 {paid} 元", paid))
    return paid, ZERO, lines


def _pct(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"

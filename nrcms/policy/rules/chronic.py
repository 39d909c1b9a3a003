"""Chronic-disease outpatient (门诊慢性病): a visit for a listed diagnosis is paid at the chronic rate within
the chronic annual cap, instead of ordinary outpatient pooling. Whether the person is on the county's
chronic-disease register is checked by the caller before settling; the engine matches the diagnosis."""

from __future__ import annotations

from decimal import Decimal

from nrcms.core.money import round_amount

from ..parameters import Chronic
from ..types import Episode, ExplanationLine, YearToDate
from .cap import room_left
from .fixed_fee import diagnosis_matches
from .rounding import pay


def is_chronic(rule: Chronic | None, episode: Episode) -> bool:
    return rule is not None and diagnosis_matches(episode.diagnosis_code, rule.diagnoses)


def chronic_pay(rule: Chronic, base: Decimal, ytd: YearToDate, rounding: str) -> tuple[Decimal, ExplanationLine]:
    raw = base * rule.rate
    room = room_left(rule.annual_cap, ytd.chronic_paid)
    paid = pay(raw, rounding, min(room, base))
    return paid, ExplanationLine("chronic", "门诊慢性病：{} 元 × {:%} = {} 元；年度限额 {} 元，剩余 {} 元；支付 {} 元", paid,
                                 (base, rule.rate, round_amount(raw), rule.annual_cap, room, paid))

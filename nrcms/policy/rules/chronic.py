"""Chronic-disease outpatient (门诊慢性病): a visit for a listed diagnosis is paid at the chronic rate within
the chronic annual cap, instead of ordinary outpatient pooling. The engine matches the diagnosis; whether
the person is certified for it (慢性病认定, the county's register) is read by the caller into
`Episode.chronic_certified`, and counts when the scheme's rule says `certification_required`."""

from __future__ import annotations

from decimal import Decimal

from nrcms.core.money import round_amount

from ..parameters import Chronic
from ..types import Episode, ExplanationLine, YearToDate
from .cap import room_left
from .fixed_fee import diagnosis_matches
from .rounding import pay


def listed(rule: Chronic | None, episode: Episode) -> bool:
    """The visit's diagnosis is on the scheme's chronic list (certified or not)."""
    return rule is not None and diagnosis_matches(episode.diagnosis_code, rule.diagnoses)


def is_chronic(rule: Chronic | None, episode: Episode) -> bool:
    """Paid at the chronic rate: a listed diagnosis, and a certificate when the scheme requires one."""
    return listed(rule, episode) and (episode.chronic_certified or not rule.certification_required)


def uncertified_line() -> ExplanationLine:
    return ExplanationLine("chronic_uncertified", "诊断属门诊慢性病病种，但未经慢性病认定，按普通门诊补偿")


def chronic_pay(rule: Chronic, base: Decimal, ytd: YearToDate, rounding: str) -> tuple[Decimal, ExplanationLine]:
    raw = base * rule.rate
    room = room_left(rule.annual_cap, ytd.chronic_paid)
    paid = pay(raw, rounding, min(room, base))
    return paid, ExplanationLine("chronic", "门诊慢性病：{} 元 × {:%} = {} 元；年度限额 {} 元，剩余 {} 元；支付 {} 元", paid,
                                 (base, rule.rate, round_amount(raw), rule.annual_cap, room, paid))

"""The annual cap (封顶线): what the basic fund may still pay this person this year."""

from __future__ import annotations

from decimal import Decimal

from nrcms.core.money import ZERO

from ..parameters import Inpatient
from ..types import Episode, ExplanationLine


def cap_for(rule: Inpatient, episode: Episode) -> Decimal:
    """A lower cap may apply at non-designated facilities (平罗县's proposal: 3,000 instead of 4,000); it
    limits the year's total including what designated facilities already paid."""
    if not episode.designated and rule.annual_cap_non_designated is not None:
        return rule.annual_cap_non_designated
    return rule.annual_cap


def room_left(cap: Decimal, paid_so_far: Decimal) -> Decimal:
    return cap - paid_so_far if paid_so_far < cap else ZERO


def apply_cap(amount: Decimal, cap: Decimal, paid_so_far: Decimal) -> tuple[Decimal, ExplanationLine]:
    room = room_left(cap, paid_so_far)
    paid = amount if amount <= room else room
    return paid, ExplanationLine("cap", "年度封顶线 {} 元，本年已补偿 {} 元，剩余 {} 元；基本医疗补偿 {} 元", paid,
                                 (cap, paid_so_far, room, paid))

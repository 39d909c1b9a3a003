"""The annual cap (封顶线): what the fund may still pay this person this year."""

from __future__ import annotations

from decimal import Decimal

from nrcms.core.money import ZERO

from ..scheme import Inpatient
from ..types import Episode


def cap_for(rule: Inpatient, episode: Episode) -> Decimal:
    if not episode.designated and rule.annual_cap_non_designated is not None:
        return rule.annual_cap_non_designated
    return rule.annual_cap


def apply_cap(amount: Decimal, cap: Decimal, paid_so_far: Decimal) -> tuple[Decimal, Decimal]:
    """(payable, room left before this episode)."""
    room = max(cap - paid_so_far, ZERO)
    return min(amount, room), room

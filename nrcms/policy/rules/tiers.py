"""Tiered rates over the eligible cost above the deductible. Band bounds are in eligible cost (as county
notices write them: "301–1000 元 20 %"). Two conventions:
cumulative (分段累加) — each band's rate applies to the part of the cost inside it;
bracket (全额按档) — the whole amount above the deductible takes the rate of the band the cost falls in."""

from __future__ import annotations

from decimal import Decimal

from nrcms.core.money import ZERO

from ..scheme import Tier
from ..types import TierPart

ONE = Decimal("1")


def _clamp(rate: Decimal) -> Decimal:
    return min(max(rate, ZERO), ONE)


def tier_payment(eligible: Decimal, deductible: Decimal, tiers: tuple[Tier, ...], convention: str,
                 rate_change: Decimal = ZERO) -> tuple[Decimal, tuple[TierPart, ...]]:
    """The unrounded payment and the parts that make it."""
    if eligible <= deductible:
        return ZERO, ()
    if convention == "bracket":
        lower = ZERO
        for tier in tiers:
            if tier.upto is None or eligible <= tier.upto:
                rate = _clamp(tier.rate + rate_change)
                base = eligible - deductible
                return base * rate, (TierPart(lower, tier.upto, rate, base, base * rate),)
            lower = tier.upto
        raise ValueError("分段没有覆盖该金额")  # unreachable: validation requires an open last band
    parts, total, lower = [], ZERO, ZERO
    for tier in tiers:
        upper = tier.upto
        start = max(lower, deductible)
        end = eligible if upper is None else min(upper, eligible)
        if end > start:
            rate = _clamp(tier.rate + rate_change)
            base = end - start
            paid = base * rate
            parts.append(TierPart(start, upper, rate, base, paid))
            total += paid
        if upper is None or upper >= eligible:
            break
        lower = upper
    return total, tuple(parts)


def yearly_tiered(before: Decimal, after: Decimal, deductible: Decimal, tiers: tuple[Tier, ...]) -> Decimal:
    """For layers with a yearly deductible (catastrophic insurance): what the year's accumulated base
    earns after this episode minus what it had earned before — so the deductible is paid once a year and
    splitting a stay into two episodes changes nothing."""
    earned_after, _ = tier_payment(after, deductible, tiers, "cumulative")
    earned_before, _ = tier_payment(before, deductible, tiers, "cumulative")
    return earned_after - earned_before

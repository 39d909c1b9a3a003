"""Tiered rates over the eligible cost above the deductible. Band bounds are in eligible cost, as county
notices write them ("301–1000 元 20 %" is the band from 300 to 1,000). Two conventions:
cumulative (分段累加) — each band's rate applies to the part of the cost inside it;
bracket (全额按档) — the whole amount above the deductible takes the rate of the band the cost falls in.

Each band's payment is rounded to the fen, so the lines on the slip add up to the total shown; the scheme's
own rounding (角, 元) is applied once, to that total."""

from __future__ import annotations

from decimal import Decimal

from nrcms.core.money import ZERO, round_amount

from ..parameters import Tier
from ..types import TierPart

ONE = Decimal("1")


def _rate(rate: Decimal, change: Decimal) -> Decimal:
    if not change:
        return rate
    rate += change
    return ZERO if rate < ZERO else ONE if rate > ONE else rate


def tier_payment(eligible: Decimal, deductible: Decimal, tiers: tuple[Tier, ...], convention: str,
                 rate_change: Decimal = ZERO) -> tuple[Decimal, tuple[TierPart, ...]]:
    """The payment (sum of the bands, each to the fen) and the bands that make it."""
    if eligible <= deductible:
        return ZERO, ()
    if convention == "bracket":
        lower = ZERO
        for tier in tiers:
            if tier.upto is None or eligible <= tier.upto:
                rate = _rate(tier.rate, rate_change)
                base = eligible - deductible
                paid = round_amount(base * rate)
                return paid, (TierPart(lower, tier.upto, rate, base, paid),)
            lower = tier.upto
    parts, total, lower = [], ZERO, ZERO
    for tier in tiers:
        upper = tier.upto
        start = lower if lower > deductible else deductible
        end = eligible if upper is None or upper > eligible else upper
        if end > start:
            rate = _rate(tier.rate, rate_change)
            base = end - start
            paid = round_amount(base * rate)
            parts.append(TierPart(start, upper, rate, base, paid))
            total += paid
        if upper is None or upper >= eligible:
            break
        lower = upper
    return total, tuple(parts)


def accumulated_payment(before: Decimal, now: Decimal, deductible: Decimal, tiers: tuple[Tier, ...],
                        convention: str = "cumulative", rate_change: Decimal = ZERO) -> Decimal:
    """For a deductible paid once over several episodes (a year's catastrophic insurance, a long stay
    settled in parts): what the accumulated base earns after this episode minus what it had earned before,
    so splitting the base into parts never changes the total."""
    after, _ = tier_payment(before + now, deductible, tiers, convention, rate_change)
    earlier, _ = tier_payment(before, deductible, tiers, convention, rate_change)
    return after - earlier

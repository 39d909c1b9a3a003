"""The one helper for ratios and averages: Decimal, two places, half up (core.money.round_amount), None when
the denominator is zero (shown as “—”, never as 0 %)."""

from __future__ import annotations

from decimal import Decimal

from nrcms.core.money import round_amount


def percent(numerator, denominator) -> Decimal | None:
    """numerator ÷ denominator as a percentage to two places: 1 of 3 → 33.33."""
    if not denominator:
        return None
    return round_amount(Decimal(numerator) * 100 / Decimal(denominator))


def average(numerator, denominator) -> Decimal | None:
    """numerator ÷ denominator to two places (a cost per episode, days per stay)."""
    if not denominator:
        return None
    return round_amount(Decimal(numerator) / Decimal(denominator))

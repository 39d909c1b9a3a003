"""Rounding a payment the scheme's way, never past what the layer may pay.

A payment is rounded half up to the fen, 角 or 元 as the scheme says (`nrcms.core.money.round_amount`,
the one rounding function). Rounding up can never make a layer pay more than what is left to the patient or
its cap room: the payment is then that limit itself, so a payment that empties the bill may end in fen."""

from __future__ import annotations

from decimal import Decimal

from nrcms.core.money import ZERO, round_amount


def pay(raw: Decimal, rounding: str, limit: Decimal) -> Decimal:
    if raw <= ZERO or limit <= ZERO:
        return ZERO
    amount = round_amount(raw, rounding)
    return amount if amount <= limit else limit

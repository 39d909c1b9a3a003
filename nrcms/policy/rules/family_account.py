"""The family account (家庭账户): the household's own outpatient money (平罗县: 5 of each member's 10 yuan),
spent at any legal in-county facility and rolled over from year to year. It pays up to the household's
balance, on the in-policy cost or the whole bill as the scheme says (`outpatient.family_account_pays`)."""

from __future__ import annotations

from decimal import Decimal

from nrcms.core.money import ZERO

from ..types import ExplanationLine


def family_account_pay(base: Decimal, balance: Decimal) -> tuple[Decimal, ExplanationLine]:
    available = balance if balance > ZERO else ZERO
    paid = base if base <= available else available
    return paid, ExplanationLine("family_account", "家庭账户支付 {} 元（支付前余额 {} 元，支付后 {} 元）", paid,
                                 (paid, balance, balance - paid))

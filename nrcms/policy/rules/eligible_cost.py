"""Eligible (in-policy) cost, 政策范围内费用: the bill less what the patient pays in full.

Item by item: a 丙类 item, an item outside the catalogue, and a 乙类 item in a scheme that covers 甲类 only
are self-pay in full; the part of an item above its price limit (limit × quantity) is self-pay; then a
乙类 item's first self-pay share (先行自付) is taken from what is left of it. Each share is rounded to the
fen on its own line, so the slip adds up item by item as the hospital's bill does."""

from __future__ import annotations

from decimal import Decimal

from nrcms.core.money import ZERO, round_amount

from ..types import ChargeItem, ExplanationLine

EXCLUSION_LABELS = {
    "category_c": "丙类（自费）项目",
    "out_of_catalogue": "目录外项目",
    "category_b": "乙类项目（本方案只报甲类）",
    "over_price_limit": "超过最高限价部分",
    "first_self_pay": "乙类先行自付部分",
}


def eligible_cost(charges: tuple[ChargeItem, ...], eligible_classes: tuple[str, ...] = ("A", "B")
                  ) -> tuple[Decimal, dict[str, Decimal], list[ExplanationLine]]:
    """(eligible cost, excluded amount by reason, explanation lines)."""
    b_covered = "B" in eligible_classes
    c_total = outside = b_out = over = first = eligible = ZERO
    for item in charges:
        klass = item.catalogue_class
        amount = item.amount
        if klass == "C":
            c_total += amount
            continue
        if klass is None:
            outside += amount
            continue
        if klass == "B" and not b_covered:
            b_out += amount
            continue
        if item.price_limit is not None:
            excess = amount - round_amount(item.price_limit * item.quantity)
            if excess > 0:
                over += excess
                amount -= excess
        if klass == "B" and item.first_self_pay_share:
            share = round_amount(amount * item.first_self_pay_share)
            first += share
            amount -= share
        eligible += amount
    excluded = {"category_c": c_total, "out_of_catalogue": outside, "category_b": b_out,
                "over_price_limit": over, "first_self_pay": first}
    lines = [ExplanationLine("exclusion", "减：{} {} 元", -value, (EXCLUSION_LABELS[key], value))
             for key, value in excluded.items() if value]
    lines.append(ExplanationLine("eligible", "政策范围内费用 {} 元", eligible, (eligible,)))
    return eligible, excluded, lines

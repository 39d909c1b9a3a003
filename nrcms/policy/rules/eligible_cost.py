"""Eligible (in-policy) cost: 丙类 and out-of-catalogue items are self-pay, the part of an item above its
price limit is self-pay, and a 乙类 item's first self-pay share is paid by the patient first."""

from __future__ import annotations

from decimal import Decimal

from nrcms.core.money import ZERO, round_amount

from ..types import ChargeItem, Line

EXCLUSION_LABELS = {
    "category_c": "丙类（自费）项目",
    "out_of_catalogue": "目录外项目",
    "over_price_limit": "超过最高限价部分",
    "first_self_pay": "乙类先行自付部分",
}


def eligible_cost(charges: tuple[ChargeItem, ...]) -> tuple[Decimal, dict[str, Decimal], list[Line]]:
    c_total = outside = over = first = eligible = ZERO
    for item in charges:
        klass = item.catalogue_class
        if klass == "C":
            c_total += item.amount
            continue
        if klass is None:
            outside += item.amount
            continue
        amount = item.amount
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
    excluded = {"category_c": c_total, "out_of_catalogue": outside, "over_price_limit": over,
                "first_self_pay": first}
    lines = [Line("exclusion", f"减：{EXCLUSION_LABELS[key]} {value} 元", -value)
             for key, value in excluded.items() if value]
    lines.append(Line("eligible", f"政策范围内费用 {eligible} 元", eligible))
    return eligible, excluded, lines

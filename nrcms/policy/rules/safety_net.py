"""The safety net (兜底): for the listed categories (档卡户), tops the payment up until the patient's share of
the base is at most 1 − guaranteed_ratio (e.g. self-pay ≤ 10 % of the in-policy cost).

Documented choice: the top-up is exact to the fen whatever the scheme's rounding, because the guarantee is a
ratio and rounding it to the 元 could leave the patient just above the promised share."""

from __future__ import annotations

from decimal import Decimal

from nrcms.core.money import ZERO, round_amount

from ..parameters import SafetyNet
from ..types import ExplanationLine
from .rounding import pay

ONE = Decimal("1")


def safety_net_applies(rule: SafetyNet, categories: frozenset[str]) -> bool:
    return bool(categories) and any(c in categories for c in rule.categories)


def safety_net_pay(rule: SafetyNet, ratio_base: Decimal, burden: Decimal) -> tuple[Decimal, ExplanationLine]:
    """`ratio_base`: the in-policy or total cost; `burden`: what the patient still bears of it."""
    share = ONE - rule.guaranteed_ratio
    allowed = round_amount(ratio_base * share)
    paid = pay(burden - allowed, "fen", burden) if burden > allowed else ZERO
    label = "政策范围内费用" if rule.base == "in_policy_cost" else "医疗总费用"
    return paid, ExplanationLine("safety_net", "兜底保障：{} {} 元的个人负担不超过 {:%}（{} 元），现负担 {} 元，兜底支付 {} 元",
                                 paid, (label, ratio_base, share, allowed, burden, paid))

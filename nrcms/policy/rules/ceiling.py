"""The overall ceiling: all layers together pay at most `ratio` of the base (in-policy or total cost) for
one episode. What exceeds it is taken back from the layers that paid last (safety net first, then
assistance, catastrophic insurance, subsidies, and the basic scheme last)."""

from __future__ import annotations

from decimal import Decimal

from nrcms.core.money import ZERO, round_amount

from ..parameters import Ceiling
from ..types import ExplanationLine


def ceiling_trim(rule: Ceiling, base: Decimal, paid: list[Decimal]) -> tuple[list[Decimal], ExplanationLine | None]:
    """`paid` in paying order; returns the trimmed amounts and a line when anything was trimmed."""
    limit = round_amount(base * rule.ratio)
    excess = sum(paid, ZERO) - limit
    if excess <= 0:
        return paid, None
    trimmed = list(paid)
    for index in range(len(trimmed) - 1, -1, -1):
        cut = min(trimmed[index], excess)
        trimmed[index] -= cut
        excess -= cut
    label = "政策范围内费用" if rule.base == "in_policy_cost" else "医疗总费用"
    return trimmed, ExplanationLine("ceiling", "各项补偿合计不超过{}的 {:%}（{} 元），已从后支付的层次核减", limit,
                                    (label, rule.ratio, limit))

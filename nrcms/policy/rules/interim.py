"""Interim settlement of long stays (中途结算): a stay that has lasted the scheme's `min_days` may be settled
in parts. The first part is an ordinary admission; each later part (a continuation) pays no deductible and
does not count as another admission, and its tiers run over the whole stay so far — what the stay's in-policy
cost earns in total, less what the earlier parts earned — so settling in parts pays what settling once would
(before the annual cap, which each part meets with the year's totals as they stand)."""

from __future__ import annotations

from decimal import Decimal

from ..errors import Refusal
from ..parameters import Interim, Tier
from ..types import Episode, ExplanationLine, TierPart
from .tiers import tier_payment


def interim_refusal(rule: Interim | None, episode: Episode) -> Refusal | None:
    if not episode.interim:
        return None
    if rule is None:
        return Refusal.INTERIM_NOT_ALLOWED
    if episode.days < rule.min_days:
        return Refusal.INTERIM_TOO_SHORT
    return None


def continuation_payment(eligible: Decimal, before: Decimal, stay_deductible: Decimal, tiers: tuple[Tier, ...],
                         convention: str, rate_change: Decimal
                         ) -> tuple[Decimal, tuple[TierPart, ...], ExplanationLine]:
    """(payment for this part, the whole stay's bands, line)."""
    whole, parts = tier_payment(before + eligible, stay_deductible, tiers, convention, rate_change)
    earlier, _ = tier_payment(before, stay_deductible, tiers, convention, rate_change)
    paid = whole - earlier
    line = ExplanationLine(
        "interim", "中途结算续结：起付线 {} 元已在前段扣除；全程政策范围内费用 {} + {} = {} 元按分段计 {} 元，"
        "减前段已计 {} 元，本段 {} 元", paid, (stay_deductible, before, eligible, before + eligible, whole, earlier, paid))
    return paid, parts, line

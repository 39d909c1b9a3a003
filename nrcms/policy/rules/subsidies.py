"""Fixed subsidies (定额补助) by diagnosis, such as the childbirth subsidy (住院分娩补助) or 户县's abnormal
childbirth subsidy: a fixed amount on top of the basic reimbursement.

Documented choice: a subsidy pays at most what the basic scheme left of the in-policy cost (the fund pays
no out-of-policy items), and counts against the annual cap only when the scheme says so."""

from __future__ import annotations

from decimal import Decimal

from nrcms.core.money import ZERO

from ..parameters import FixedSubsidy
from ..types import Episode, ExplanationLine
from .fixed_fee import diagnosis_matches


def subsidies_for(subsidies: tuple[FixedSubsidy, ...], episode: Episode) -> list[FixedSubsidy]:
    return [s for s in subsidies if diagnosis_matches(episode.diagnosis_code, s.diagnoses)]


def pay_subsidies(subsidies: list[FixedSubsidy], left: Decimal, cap_room: Decimal
                  ) -> tuple[Decimal, Decimal, list[ExplanationLine]]:
    """(paid, the part of it that counts toward the cap, lines); `left` is the in-policy cost still unpaid."""
    paid = in_cap = ZERO
    lines = []
    for s in subsidies:
        amount = min(s.amount, left - paid)
        if s.counts_toward_cap:
            amount = min(amount, cap_room - in_cap)
            in_cap += amount
        if amount < s.amount:
            lines.append(ExplanationLine("subsidy", "{} 定额 {} 元，以尚未报销的政策范围内费用为限，支付 {} 元", amount,
                                         (s.name, s.amount, amount)))
        else:
            lines.append(ExplanationLine("subsidy", "{} {} 元", amount, (s.name, amount)))
        paid += amount
    return paid, in_cap, lines

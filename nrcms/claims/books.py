"""The desks' part of the books check (nrcms.funding.checks): the settlements against what the ledger owes the
facilities for them. Registered when the app loads (apps.py)."""

from __future__ import annotations

from django.db.models import Sum

from nrcms.core.money import round_amount
from nrcms.funding import ledger
from nrcms.funding.checks import BooksReport, register
from nrcms.funding.models import JournalLine

from .models import Settlement


def settlements_check(report: BooksReport) -> None:
    """What the desks settled (net of reversals) equals what the ledger owes the facilities for it."""
    settled = ledger.fen_sum(Settlement.objects.aggregate(t=Sum("fund_total"))["t"])
    lines = (JournalLine.objects.filter(entry__kind__in=["settlement", "settlement_reversal"],
                                        account__code__startswith="2201-")
             .aggregate(d=Sum("debit"), c=Sum("credit")))
    posted = ledger.fen_sum(lines["c"]) - ledger.fen_sum(lines["d"])
    report.facts.append(f"结算基金支付合计 {round_amount(settled)}，应付医疗机构入账 {round_amount(posted)}")
    if settled != posted:
        report.problems.append(f"结算单基金支付合计 {settled} 与应付医疗机构入账 {posted} 不符")


register("settlements", 30, settlements_check)

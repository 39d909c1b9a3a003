"""The payments' part of the books check (nrcms.funding.checks): disbursements within what the review approved,
refunds and advances against their accounts. Registered when the app loads (apps.py)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from nrcms.core.money import ZERO, round_amount
from nrcms.funding import ledger
from nrcms.funding.checks import BooksReport, register
from nrcms.funding.models import JournalLine

from .advances import receivable_check
from .models import FacilityStatement, PatientRefund, RefundStatus


def disbursements_check(report: BooksReport) -> None:
    """What the ledger paid out to each facility (拨付) never exceeds what the county review approved."""
    approved: dict[str, Decimal] = {}
    for code, amount in (FacilityStatement.objects.filter(approved_amount__isnull=False)
                         .values_list("facility__code", "approved_amount")):
        approved[code] = approved.get(code, ZERO) + amount
    paid = (JournalLine.objects.filter(entry__kind="facility_disbursement", account__code__startswith="2201-")
            .values("account__code").annotate(d=Sum("debit"), c=Sum("credit")))
    total = ZERO
    for row in paid:
        code, amount = row["account__code"].removeprefix("2201-"), ledger.fen_sum(row["d"]) - ledger.fen_sum(row["c"])
        total += amount
        if amount > approved.get(code, ZERO):
            report.problems.append(f"医疗机构 {code} 已拨付 {amount}，超过审定应拨付 {approved.get(code, ZERO)}")
    report.facts.append(f"拨付医疗机构合计 {round_amount(total)}，审定应拨付合计 {round_amount(sum(approved.values(), ZERO))}")


def refunds_and_advances_check(report: BooksReport) -> None:
    """2202 holds the refunds recovered and not yet paid to patients; each of 1301–1303 equals its claims not
    yet repaid plus what was advanced and not yet claimed (payments/refunds.py, payments/advances.py)."""
    owed = ledger.fen_sum(PatientRefund.objects.filter(status=RefundStatus.RECOVERED).aggregate(t=Sum("amount"))["t"])
    held = ledger.balance(ledger.REFUNDS_PAYABLE)
    report.facts.append(f"已追回待支付患者返还 {round_amount(owed)}，应付参合患者返还款余额 {round_amount(held)}")
    if owed != held:
        report.problems.append(f"已追回待支付患者返还 {owed} 与科目 2202 余额 {held} 不符")
    for row in receivable_check():
        report.facts.append(f"{row['code']} {row['label']}垫付应收余额 {row['balance']}：申报未回款 {row['outstanding']}，"
                            f"未申报 {row['unclaimed']}，手工报销 {row['manual']}")
        if row["difference"]:
            report.problems.append(f"{row['code']} {row['label']}垫付应收余额 {row['balance']} 与申报未回款、未申报之和相差 "
                                   f"{row['difference']}")


register("disbursements", 40, disbursements_check)
register("refunds_and_advances", 50, refunds_and_advances_check)

"""The ledger's day summary (funding.LedgerDaySummary, nrcms/funding/summary.py), which the fund's statistics read
instead of the journal lines: after every kind of writer of lines it equals the lines' own sums, row by row, and
each writer moves exactly its hand-computed amounts. The rebuild command recomputes it; the books check and
`nrcms stats rebuild-summaries --check` catch a difference."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum
from django.utils import timezone

from nrcms.accounts.models import AuditEntry
from nrcms.facilities.models import Facility
from nrcms.funding import ledger, summary
from nrcms.funding.checks import books_check
from nrcms.funding.models import JournalLine, LedgerDaySummary
from nrcms.funding.services import subsidy_receivable_post, subsidy_receive
from nrcms.funding.year_close import year_close
from nrcms.stats import fund

D = Decimal
COUNTY_HOSPITAL = "H610125001"


def row(day: dt.date, group: str, kind: str) -> tuple[Decimal, Decimal]:
    """(debit, credit) of the summary for one day, account group and entry kind."""
    r = (LedgerDaySummary.objects.filter(day=day, account_group=group, entry_kind=kind)
         .aggregate(d=Sum("debit_fen"), c=Sum("credit_fen")))
    return summary.from_fen(r["d"]), summary.from_fen(r["c"])


def agrees() -> None:
    assert summary.differences() == (0, [])


def test_the_demo_loader_leaves_the_summary_equal_to_the_lines(demo):
    assert LedgerDaySummary.objects.exists()
    agrees()
    assert books_check().ok


def test_contributions_desk_settlements_reversals_and_manual_claims_of_the_small_county(small):
    agrees()
    # contributions on 1 March: four persons × 380.00 into the special account, 20.00 each to the family accounts
    march_1 = dt.date(2026, 3, 1)
    assert row(march_1, "1001", "contribution") == (D("1520.00"), D("0.00"))
    assert row(march_1, "3102-", "contribution") == (D("0.00"), D("80.00"))
    assert row(march_1, "3101", "contribution") == (D("0.00"), D("1440.00"))
    # A's stay settled on 10 March (basic 3,450.00 owed to the county hospital), B's reversed on 3 April
    assert row(dt.date(2026, 3, 10), "3101", "settlement") == (D("3450.00"), D("0.00"))
    assert row(dt.date(2026, 3, 10), "2201-", "settlement") == (D("0.00"), D("3450.00"))
    assert row(dt.date(2026, 4, 3), "3101", "settlement_reversal") == (D("0.00"), D("3450.00"))
    assert row(dt.date(2026, 4, 3), "2201-", "settlement_reversal") == (D("3450.00"), D("0.00"))
    # C's: basic 3,450.00 from the pooled fund, 1,140.00 safety net advanced (1303), 4,590.00 owed
    assert row(dt.date(2026, 3, 8), "3101", "settlement") == (D("3450.00"), D("0.00"))
    assert row(dt.date(2026, 3, 8), "1303", "settlement") == (D("1140.00"), D("0.00"))
    assert row(dt.date(2026, 3, 8), "2201-", "settlement") == (D("0.00"), D("4590.00"))
    # D's manual claim paid 17 March from the special account, repaid 6 April
    assert row(dt.date(2026, 3, 17), "3101", "manual_claim") == (D("3600.00"), D("0.00"))
    assert row(dt.date(2026, 3, 17), "1001", "manual_claim") == (D("0.00"), D("3600.00"))
    assert row(dt.date(2026, 4, 6), "1001", "manual_claim_reversal") == (D("3600.00"), D("0.00"))
    # the entries were re-dated from today to their days (summary.redate_entries): nothing of them is left today
    today = timezone.localdate()
    assert row(today, "1001", "manual_claim") == (D("0.00"), D("0.00"))


def _moved(writer, *keys) -> list[tuple[Decimal, Decimal]]:
    before = [row(*k) for k in keys]
    writer()
    agrees()
    return [(row(*k)[0] - b[0], row(*k)[1] - b[1]) for k, b in zip(keys, before, strict=True)]


def test_every_other_writer_moves_the_summary_by_its_own_amounts(demo, monkeypatch):
    finance = demo["finance"]
    moment = timezone.make_aware(dt.datetime(2026, 12, 7, 10, 0))
    monkeypatch.setattr(timezone, "now", lambda: moment)
    today = dt.date(2026, 12, 7)
    hospital = Facility.objects.get(code=COUNTY_HOSPITAL)

    def post(fn, **kw):
        return lambda: fn(actor=finance, source=None, **kw)

    hundred = D("100.00")
    assert _moved(post(ledger.disbursement_post, facility=hospital, amount=hundred, description="拨付",
                       idempotency_key="t-disburse"),
                  (today, "2201-", "facility_disbursement"), (today, "1001", "facility_disbursement")) == [
        (hundred, D("0.00")), (D("0.00"), hundred)]
    assert _moved(post(ledger.violation_deduction_post, facility=hospital, amount=D("12.34"), description="扣款",
                       idempotency_key="t-deduct"),
                  (today, "2201-", "violation_deduction"), (today, "3101", "violation_deduction")) == [
        (D("12.34"), D("0.00")), (D("0.00"), D("12.34"))]
    assert _moved(post(ledger.refund_recovery_post, facility=hospital, amount=D("45.60"), description="返还追回",
                       idempotency_key="t-recover"),
                  (today, "2201-", "refund_recovery"), (today, "2202", "refund_recovery")) == [
        (D("45.60"), D("0.00")), (D("0.00"), D("45.60"))]
    assert _moved(post(ledger.refund_payment_post, amount=D("45.60"), description="返还支付",
                       idempotency_key="t-refund"),
                  (today, "2202", "refund_payment"), (today, "1001", "refund_payment")) == [
        (D("45.60"), D("0.00")), (D("0.00"), D("45.60"))]
    assert _moved(post(ledger.advance_repayment_post, code="1301", amount=D("7.00"), date=dt.date(2026, 11, 30),
                       description="大病保险回款", idempotency_key="t-advance"),
                  (dt.date(2026, 11, 30), "1301", "advance_repayment")) == [(D("0.00"), D("7.00"))]
    # the family doctor's fee is posted by family_doctors.services through ledger.post, as here
    assert _moved(lambda: ledger.post(date=today, kind="family_doctor_fee", description="签约服务费",
                                      lines=[(ledger.account(ledger.POOLED_FUND), D("30.00"), D("0")),
                                             (ledger.payable_to(hospital), D("0"), D("30.00"))], actor=finance),
                  (today, "3101", "family_doctor_fee")) == [(D("30.00"), D("0.00"))]
    # the same idempotency key posts nothing a second time, and moves nothing
    assert _moved(post(ledger.disbursement_post, facility=hospital, amount=hundred, description="拨付",
                       idempotency_key="t-disburse"), (today, "1001", "facility_disbursement")) == [
        (D("0.00"), D("0.00"))]
    _moved(lambda: subsidy_receivable_post(actor=finance, scheme_year=2026))
    assert _moved(lambda: subsidy_receive(actor=finance, level="central", amount="1000.00",
                                          received_on=dt.date(2026, 11, 2), reference="ZY-1"),
                  (dt.date(2026, 11, 2), "1201", "subsidy_received")) == [(D("0.00"), D("1000.00"))]
    # the year-end close writes its lines in bulk: 3109 holds on the closing day what the close carried
    moment = timezone.make_aware(dt.datetime(2027, 1, 5, 10, 0))
    monkeypatch.setattr(timezone, "now", lambda: moment)
    closing = dt.date(2026, 12, 31)
    before = row(closing, "3109", "family_account_close")
    close = year_close(year=2026, actor=finance)
    agrees()
    d, c = row(closing, "3109", "family_account_close")
    assert close.households > 0 and (c - before[1]) - (d - before[0]) == close.total
    assert fund.account_balance("3109", closing) == close.total and fund.account_balance("3109", moment.date()) == 0
    # (the postings above have no statements or claims behind them, which the books check's other parts notice)
    assert "记账分录按日汇总与分录行逐日相符" in books_check().facts


def test_a_tampered_summary_is_caught_and_the_rebuild_puts_it_right(small):
    day = dt.date(2026, 3, 1)
    LedgerDaySummary.objects.filter(day=day, account_group="1001", entry_kind="contribution").update(debit_fen=1)
    count, shown = summary.differences()
    assert count == 1 and shown[0].startswith("2026-03-01 科目 1001 业务 contribution：汇总 借 0.01 贷 0.00")
    report = books_check()
    assert not report.ok and any(p.startswith("记账分录按日汇总有 1 处与分录行不符") for p in report.problems)
    with pytest.raises(CommandError, match="1 处与分录行不符"):
        call_command("stats_rebuild_summaries", check=True)
    call_command("stats_rebuild_summaries")
    agrees()
    audit = AuditEntry.objects.filter(action="ledger_summary.rebuild").latest("seq")
    assert audit.after == {"differences": 1, "rows": LedgerDaySummary.objects.count()}
    assert row(day, "1001", "contribution") == (D("1520.00"), D("0.00"))
    # the rebuilt rows are exactly the lines' sums: as many lines as the summary counts
    assert LedgerDaySummary.objects.aggregate(n=Sum("lines"))["n"] == JournalLine.objects.count()


def test_an_account_prefix_reaching_past_the_groups_is_refused(small):
    with pytest.raises(ValueError, match="超出了汇总的科目组"):
        fund.account_balance("3102-SY", dt.date(2026, 12, 31))

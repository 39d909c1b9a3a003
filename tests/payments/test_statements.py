import datetime as dt
from decimal import Decimal

import pytest
from payments_factory import at, reversed_, settled

from nrcms.accounts.models import AuditEntry
from nrcms.core.errors import Conflict, Forbidden, ValidationFailed
from nrcms.facilities.models import Facility
from nrcms.funding import ledger
from nrcms.funding.checks import books_check
from nrcms.funding.models import JournalEntry, JournalLine
from nrcms.payments.models import FacilityStatement, StatementLine
from nrcms.payments.services import (
    statement_approve,
    statement_deduct,
    statement_disburse,
    statement_generate,
    statement_review_start,
)

pytestmark = pytest.mark.django_db
COUNTY_HOSPITAL = "H610125001"
PAYABLE = f"2201-{COUNTY_HOSPITAL}"


@pytest.fixture
def september(demo, patients):
    """The county hospital's settlements around September 2026 (each an inpatient first admission worth
    3450.00 from the fund, 7000.00 total, 3550.00 self-pay — see payments_factory):
    A 09-03 and B 09-10 settled; C settled 09-12 and reversed 09-13 (same month: both left out);
    D settled 08-20 and reversed 09-05 (the reversal lands on September as −3450.00)."""
    desk, p = demo["desk_county"], patients.people
    a = settled(desk, p[0], "ZY-A", at(2026, 9, 3))
    b = settled(desk, p[1], "ZY-B", at(2026, 9, 10))
    c = settled(desk, p[2], "ZY-C", at(2026, 9, 12))
    c_rev = reversed_(desk, c, at(2026, 9, 13))
    d = settled(desk, p[3], "ZY-D", at(2026, 8, 20))
    d_rev = reversed_(desk, d, at(2026, 9, 5))
    return {"a": a, "b": b, "c": c, "c_rev": c_rev, "d": d, "d_rev": d_rev,
            "facility": Facility.objects.get(code=COUNTY_HOSPITAL)}


def _generate(demo, september, month="2026-09"):
    return statement_generate(actor=demo["reviewer"], facility=september["facility"], month=month)


def _in_review(demo, september):
    statement, _ = _generate(demo, september)
    return statement_review_start(actor=demo["reviewer"], statement=statement)


def test_the_statement_holds_the_month_with_a_later_reversal_as_a_negative_line(demo, september):
    statement, created = _generate(demo, september)
    numbers = set(StatementLine.objects.filter(statement=statement).values_list("settlement__number", flat=True))
    assert created and statement.number == "YJ202609-H610125001" and statement.status == "submitted"
    # A + B + D's reversal; C and its reversal (same month) are left out; D itself belongs to August.
    assert numbers == {september["a"].number, september["b"].number, september["d_rev"].number}
    # fund 3450 + 3450 − 3450 = 3450.00; cost 7000 × (2 − 1) = 7000.00; self-pay 3550.00; inpatient 2 − 1 = 1
    assert (statement.fund_total, statement.basic, statement.total_cost, statement.self_pay) == (
        Decimal("3450.00"), Decimal("3450.00"), Decimal("7000.00"), Decimal("3550.00"))
    assert (statement.inpatient_count, statement.outpatient_count, statement.reversal_count) == (1, 0, 1)
    assert (statement.inpatient_fund_total, statement.catastrophic, statement.family_account) == (
        Decimal("3450.00"), Decimal("0.00"), Decimal("0.00"))
    assert statement.prepared_by == demo["reviewer"]
    assert AuditEntry.objects.filter(action="statement.generate", object_id=str(statement.pk)).count() == 1


def test_the_earlier_month_keeps_the_settlement_that_was_reversed_later(demo, september):
    august, _ = _generate(demo, september, "2026-08")
    assert list(august.lines.values_list("settlement__number", flat=True)) == [september["d"].number]
    assert august.fund_total == Decimal("3450.00") and august.reversal_count == 0


def test_generating_a_month_twice_returns_the_same_statement(demo, september):
    first, created = _generate(demo, september)
    again, created_again = statement_generate(actor=demo["desk_county"], facility=september["facility"],
                                              month=dt.date(2026, 9, 17))
    assert created and not created_again and first.pk == again.pk
    assert FacilityStatement.objects.filter(facility=september["facility"], month=dt.date(2026, 9, 1)).count() == 1
    assert StatementLine.objects.filter(statement=first).count() == 3
    assert AuditEntry.objects.filter(action="statement.generate", object_id=str(first.pk)).count() == 1


def test_a_month_not_yet_ended_an_empty_month_and_a_bad_month_are_refused(demo, september):
    facility = september["facility"]
    with pytest.raises(ValidationFailed) as exc:
        statement_generate(actor=demo["reviewer"], facility=facility, month="2026-09", today=dt.date(2026, 9, 30))
    assert exc.value.code == "month_not_ended" and exc.value.field == "month"
    with pytest.raises(ValidationFailed) as exc:
        statement_generate(actor=demo["reviewer"], facility=facility, month="2026-06")
    assert exc.value.code == "empty_month"
    with pytest.raises(ValidationFailed) as exc:
        statement_generate(actor=demo["reviewer"], facility=facility, month="2026-13")
    assert exc.value.field == "month"
    assert not FacilityStatement.objects.filter(facility=facility, month__in=["2026-06-01", "2026-09-01"]).exists()


def test_only_the_facility_itself_or_the_county_reviewer_may_generate(demo, september):
    facility = september["facility"]
    with pytest.raises(Forbidden):
        statement_generate(actor=demo["desk_ganting"], facility=facility, month="2026-09")
    for username in ("finance", "ganting"):
        with pytest.raises(Forbidden):
            statement_generate(actor=demo[username], facility=facility, month="2026-09")
    statement, created = statement_generate(actor=demo["desk_county"], facility=facility, month="2026-09")
    assert created and statement.prepared_by == demo["desk_county"]


def test_outpatient_and_inpatient_are_counted_apart(demo, patients):
    # 甘亭镇中心卫生院, outpatient pooling 55 %, reimbursements rounded to the jiao by the scheme:
    # visit 1: 8.00 + 37.20 = 45.20 × 55 % = 24.86 → 24.90; visit 2: 20.00 + 14.50 = 34.50 × 55 % = 18.975 → 19.00
    desk = demo["desk_ganting"]
    settled(desk, patients.people[0], "MZ-1", at(2026, 7, 2), kind="outpatient",
            lines=[("5101-ZL0002", "1", "8", "8.00"), ("5101-YP0003", "2", "18.6", "37.20")])
    settled(desk, patients.people[1], "MZ-2", at(2026, 7, 30, 23, 59), kind="outpatient",
            lines=[("5101-ZL0006", "1", "20", "20.00"), ("5101-YP0001", "1", "14.5", "14.50")])
    statement, _ = statement_generate(actor=desk, facility=desk.facility, month="2026-07")
    assert (statement.outpatient_count, statement.inpatient_count) == (2, 0)
    assert (statement.outpatient_total_cost, statement.outpatient_fund_total) == (Decimal("79.70"), Decimal("43.90"))
    assert (statement.fund_total, statement.self_pay) == (Decimal("43.90"), Decimal("35.80"))


def test_review_can_start_only_once_and_only_by_the_county(demo, september):
    statement, _ = _generate(demo, september)
    with pytest.raises(Forbidden):
        statement_review_start(actor=demo["desk_county"], statement=statement)
    statement = statement_review_start(actor=demo["reviewer"], statement=statement)
    assert statement.status == "in_review" and statement.reviewed_by == demo["reviewer"]
    with pytest.raises(ValidationFailed) as exc:
        statement_review_start(actor=demo["reviewer"], statement=statement)
    assert exc.value.code == "invalid_status"


def test_deductions_are_base_times_multiplier_within_the_regulation(demo, september):
    statement = _in_review(demo, september)
    loss = statement_deduct(actor=demo["reviewer"], statement=statement, kind="loss", base_amount="200.00",
                            multiplier="1.5", reason="超标准收费", settlement_number=september["a"].number)
    fraud = statement_deduct(actor=demo["reviewer"], statement=statement, kind="fraud", base_amount=Decimal("100.10"),
                             multiplier=Decimal("2.5"), reason="挂床住院")
    # 200.00 × 1.5 = 300.00; 100.10 × 2.5 = 250.25; together 550.25
    assert (loss.amount, fraud.amount, loss.settlement.number) == (
        Decimal("300.00"), Decimal("250.25"), september["a"].number)
    statement.refresh_from_db()
    assert statement.deduction_total == Decimal("550.25") and statement.net_payable == Decimal("2899.75")
    assert AuditEntry.objects.filter(action="statement.deduct", object_id=str(statement.pk)).count() == 2


@pytest.mark.parametrize(("kind", "multiplier"), [("loss", "0.5"), ("loss", "2.5"), ("fraud", "1.5"),
                                                  ("fraud", "5.01"), ("loss", "1.234")])
def test_a_multiplier_outside_the_range_is_refused(demo, september, kind, multiplier):
    statement = _in_review(demo, september)
    with pytest.raises(ValidationFailed) as exc:
        statement_deduct(actor=demo["reviewer"], statement=statement, kind=kind, base_amount="100.00",
                         multiplier=multiplier, reason="违规")
    assert exc.value.code == "out_of_range" and exc.value.field == "multiplier"
    statement.refresh_from_db()
    assert statement.deduction_total == Decimal("0.00") and not statement.deductions.exists()


def test_deduction_refusals(demo, september):
    statement, _ = _generate(demo, september)
    with pytest.raises(ValidationFailed) as exc:  # not yet in review
        statement_deduct(actor=demo["reviewer"], statement=statement, kind="loss", base_amount="10", multiplier="1",
                         reason="违规")
    assert exc.value.code == "invalid_status"
    statement = statement_review_start(actor=demo["reviewer"], statement=statement)
    cases = [({"reason": "  "}, "reason"), ({"kind": "theft"}, "kind"), ({"base_amount": "0"}, "base_amount"),
             ({"base_amount": "10.001"}, "base_amount"), ({"base_amount": "abc"}, "base_amount"),
             ({"settlement_number": september["c"].number}, "settlement_number")]  # left out of the month
    # a deduction above the month's fund total is taken and carried forward (tests/payments/test_refunds.py)
    for change, field in cases:
        args = {"kind": "loss", "base_amount": "10.00", "multiplier": "1", "reason": "违规", **change}
        with pytest.raises(ValidationFailed) as exc:
            statement_deduct(actor=demo["reviewer"], statement=statement, **args)
        assert exc.value.field == field, change
    with pytest.raises(Forbidden):
        statement_deduct(actor=demo["finance"], statement=statement, kind="loss", base_amount="10", multiplier="1",
                         reason="违规")
    assert not statement.deductions.exists()


def test_approval_posts_the_deductions_once_and_cannot_be_repeated(demo, september):
    statement = _in_review(demo, september)
    statement_deduct(actor=demo["reviewer"], statement=statement, kind="loss", base_amount="200.00", multiplier="1.5",
                     reason="超标准收费")
    payable, pooled = ledger.balance(PAYABLE), ledger.balance("3101")
    with pytest.raises(Forbidden):
        statement_approve(actor=demo["finance"], statement=statement)
    statement = statement_approve(actor=demo["reviewer"], statement=statement)
    # 3450.00 − 300.00 = 3150.00 to pay; the facility is owed 300.00 less and the pooled fund keeps it
    assert statement.status == "approved" and statement.approved_amount == Decimal("3150.00")
    assert ledger.balance(PAYABLE) == payable - Decimal("300.00")
    assert ledger.balance("3101") == pooled + Decimal("300.00")
    with pytest.raises(ValidationFailed) as exc:
        statement_approve(actor=demo["reviewer"], statement=statement)
    assert exc.value.code == "invalid_status"
    assert JournalEntry.objects.filter(kind="violation_deduction").count() == 1
    with pytest.raises(ValidationFailed):  # no more deductions once approved
        statement_deduct(actor=demo["reviewer"], statement=statement, kind="loss", base_amount="1", multiplier="1",
                         reason="违规")


def test_disbursement_refusals_and_the_payment(demo, september):
    statement = _in_review(demo, september)
    statement_deduct(actor=demo["reviewer"], statement=statement, kind="loss", base_amount="200.00", multiplier="1.5",
                     reason="超标准收费")
    statement_deduct(actor=demo["reviewer"], statement=statement, kind="fraud", base_amount="100.10", multiplier="2.5",
                     reason="挂床住院")
    with pytest.raises(ValidationFailed) as exc:
        statement_disburse(actor=demo["finance"], statement=statement, reference="YH-1")
    assert exc.value.code == "not_approved"
    statement = statement_approve(actor=demo["reviewer"], statement=statement)
    with pytest.raises(Forbidden) as exc:
        statement_disburse(actor=demo["reviewer"], statement=statement, reference="YH-1")
    assert exc.value.code == "separation_of_duties"
    with pytest.raises(Forbidden) as exc:
        statement_disburse(actor=demo["director"], statement=statement, reference="YH-1")
    assert exc.value.code == "forbidden"
    with pytest.raises(ValidationFailed) as exc:
        statement_disburse(actor=demo["finance"], statement=statement, reference=" ")
    assert exc.value.field == "reference"
    payable, bank = ledger.balance(PAYABLE), ledger.balance("1001")
    entries = JournalEntry.objects.filter(kind="facility_disbursement").count()
    # the demo county has disbursed October to one facility already
    earlier = sum((s.disbursed_amount for s in FacilityStatement.objects.filter(status="disbursed")), Decimal("0"))
    paid, created = statement_disburse(actor=demo["finance"], statement=statement, reference="YH-20261005-01",
                                       idempotency_key="fin-1")
    # 3450.00 − (300.00 + 250.25) = 2899.75 leaves the special account
    assert created and paid.status == "disbursed" and paid.disbursed_amount == Decimal("2899.75")
    assert ledger.balance(PAYABLE) == payable - Decimal("2899.75") and ledger.balance("1001") == bank - Decimal("2899.75")
    again, created = statement_disburse(actor=demo["finance"], statement=statement, reference="YH-20261005-01",
                                        idempotency_key="fin-1")
    assert not created and again.pk == paid.pk
    with pytest.raises(Conflict) as exc:
        statement_disburse(actor=demo["finance"], statement=statement, reference="YH-2", idempotency_key="fin-2")
    assert exc.value.code == "already_disbursed"
    assert JournalEntry.objects.filter(kind="facility_disbursement").count() == entries + 1
    assert ledger.balance("1001") == bank - Decimal("2899.75")
    assert AuditEntry.objects.filter(action="statement.disburse", object_id=str(paid.pk)).count() == 1
    report = books_check()
    assert report.ok, report.problems
    total = earlier + Decimal("2899.75")
    assert f"拨付医疗机构合计 {total}，审定应拨付合计 {total}" in report.facts


def test_the_books_check_catches_paying_a_facility_more_than_approved(demo, september):
    statement = _in_review(demo, september)
    statement = statement_approve(actor=demo["reviewer"], statement=statement)
    statement_disburse(actor=demo["finance"], statement=statement, reference="YH-1")
    entry = JournalEntry.objects.get(kind="facility_disbursement", source_id=str(statement.pk),
                                     source_type="payments.facilitystatement")
    # tamper both sides alike, so the entry still balances and only the new check can see it
    JournalLine.objects.filter(entry=entry, account__code=PAYABLE).update(debit=Decimal("3550.00"))
    JournalLine.objects.filter(entry=entry, account__code="1001").update(credit=Decimal("3550.00"))
    report = books_check()
    assert not report.ok
    assert f"医疗机构 {COUNTY_HOSPITAL} 已拨付 3550.00，超过审定应拨付 3450.00" in report.problems

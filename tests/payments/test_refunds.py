"""Refunds to patients (返还) and the negative month carried into the next statement."""

import subprocess
from decimal import Decimal

import pytest
from payments_factory import at, settled

from nrcms.accounts.models import AuditEntry
from nrcms.core.errors import Conflict, Forbidden, ValidationFailed
from nrcms.facilities.models import Facility
from nrcms.funding import ledger
from nrcms.funding.checks import books_check
from nrcms.payments.models import FacilityStatement, PatientRefund
from nrcms.payments.refund_slip import refund_slip_pdf
from nrcms.payments.refunds import refund_create, refund_pay
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
def months(demo, patients):
    """The county hospital: A settled 2026-09-03 and B 2026-11-05 (the demo has stated October), each 7000.00 total, 3450.00 from the fund,
    3550.00 paid by the patient (payments_factory)."""
    desk, p = demo["desk_county"], patients.people
    return {"a": settled(desk, p[0], "ZY-RA", at(2026, 9, 3)), "b": settled(desk, p[1], "ZY-RB", at(2026, 11, 5)),
            "facility": Facility.objects.get(code=COUNTY_HOSPITAL)}


SEPTEMBER_20 = at(2026, 9, 20)


def _record(demo, settlement, amount="120.50", key=None, when=SEPTEMBER_20):
    refund, created = refund_create(actor=demo["reviewer"], settlement=settlement, amount=amount,
                                    reason="重复收取床位费 3 天", authority="县合管办审核决定 2026-017",
                                    reason_kind="unreasonable_charge", idempotency_key=key)
    PatientRefund.objects.filter(pk=refund.pk).update(recorded_at=when)  # recorded in September
    refund.refresh_from_db()
    return refund, created


def _approve(demo, statement):
    statement = statement_review_start(actor=demo["reviewer"], statement=statement)
    return statement_approve(actor=demo["reviewer"], statement=statement)


def test_a_refund_is_recovered_on_the_statement_paid_to_the_patient_and_the_books_balance(demo, months, tmp_path):
    refund, created = _record(demo, months["a"], key="rf-1")
    assert created and refund.status == "recorded" and refund.number.startswith("FH")
    again, created_again = _record(demo, months["a"], key="rf-1")
    assert not created_again and again.pk == refund.pk and PatientRefund.objects.count() == 1
    statement, _ = statement_generate(actor=demo["reviewer"], facility=months["facility"], month="2026-09")
    # 3450.00 claimed − 120.50 recovered for the patient = 3329.50
    assert statement.recovery_total == Decimal("120.50") and statement.net_payable == Decimal("3329.50")
    refund.refresh_from_db()
    assert refund.statement_id == statement.pk
    with pytest.raises(ValidationFailed) as exc:  # not yet recovered from the facility
        refund_pay(actor=demo["finance"], refund=refund, reference="YH-FH-1")
    assert exc.value.code == "not_recovered"
    payable, owed, bank = ledger.balance(PAYABLE), ledger.balance("2202"), ledger.balance("1001")
    statement = _approve(demo, statement)
    assert statement.approved_amount == Decimal("3329.50") and statement.carried_forward == Decimal("0")
    refund.refresh_from_db()
    assert refund.status == "recovered"
    assert ledger.balance(PAYABLE) == payable - Decimal("120.50") and ledger.balance("2202") == owed + Decimal("120.50")
    with pytest.raises(Forbidden):
        refund_pay(actor=demo["reviewer"], refund=refund, reference="YH-FH-1")
    paid, created = refund_pay(actor=demo["finance"], refund=refund, reference="YH-FH-1", idempotency_key="pay-1")
    assert created and paid.status == "paid" and paid.paid_by == demo["finance"]
    assert ledger.balance("2202") == owed and ledger.balance("1001") == bank - Decimal("120.50")
    again, created = refund_pay(actor=demo["finance"], refund=refund, reference="YH-FH-1", idempotency_key="pay-1")
    assert not created and ledger.balance("1001") == bank - Decimal("120.50")
    with pytest.raises(Conflict):
        refund_pay(actor=demo["finance"], refund=refund, reference="YH-FH-2")
    disbursed, _ = statement_disburse(actor=demo["finance"], statement=statement, reference="YH-0901")
    assert disbursed.disbursed_amount == Decimal("3329.50")
    report = books_check()
    assert report.ok, report.problems
    assert AuditEntry.objects.filter(action__in=["refund.create", "refund.pay"], object_id=str(refund.pk)).count() == 2
    path = tmp_path / "slip.pdf"
    path.write_bytes(refund_slip_pdf(paid))
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    person = paid.settlement.episode.person
    assert "返还通知单" in text and paid.number in text and "120.50" in text and "壹佰贰拾元伍角" in text
    assert person.id_number not in text and person.id_number[-4:] in text and "YH-FH-1" in text


def test_the_slip_names_the_refund_with_the_patient_masked(demo, months):
    from nrcms.payments.refund_slip import refund_slip_context

    refund, _ = _record(demo, months["a"])
    context = refund_slip_context(refund)
    assert context["amount_capital"] == "壹佰贰拾元伍角"
    assert context["masked_id"] != refund.settlement.episode.person.id_number
    assert context["masked_id"].endswith(refund.settlement.episode.person.id_number[-4:])


def test_a_refund_above_what_the_patient_paid_is_refused_naming_the_field(demo, months):
    _record(demo, months["a"], amount="3500.00")
    with pytest.raises(ValidationFailed) as exc:  # 3550.00 paid, 3500.00 refunded already: 50.00 left
        _record(demo, months["a"], amount="50.01")
    assert exc.value.field == "amount" and exc.value.code == "above_self_pay"
    assert "个人自付 3550.00 元" in exc.value.message and "最多还可返还 50.00 元" in exc.value.message
    for bad in ("0", "-1", "1.001", "abc"):
        with pytest.raises(ValidationFailed) as exc:
            _record(demo, months["a"], amount=bad)
        assert exc.value.field == "amount"
    with pytest.raises(Forbidden):
        refund_create(actor=demo["finance"], settlement=months["a"], amount="1", reason="x")


def test_a_negative_month_pays_nothing_and_carries_the_rest_into_the_next_statement(demo, months):
    """September: 3450.00 claimed; deductions 3000.00 × 1.5 = 4500.00 — before, the deduction was refused
    (扣款合计将超过本月基金支付合计). Now September pays 0 and carries 1050.00; November (the demo's October statement
    was approved before) pays 3450.00 − 1050.00."""
    september, _ = statement_generate(actor=demo["reviewer"], facility=months["facility"], month="2026-09")
    september = statement_review_start(actor=demo["reviewer"], statement=september)
    statement_deduct(actor=demo["reviewer"], statement=september, kind="loss", base_amount="3000.00", multiplier="1.5",
                     reason="分解住院")
    september = statement_approve(actor=demo["reviewer"], statement=FacilityStatement.objects.get(pk=september.pk))
    assert (september.approved_amount, september.carried_forward) == (Decimal("0.00"), Decimal("1050.00"))
    disbursed, _ = statement_disburse(actor=demo["finance"], statement=september, reference="YH-0")
    assert disbursed.disbursed_amount == Decimal("0.00")
    november, _ = statement_generate(actor=demo["reviewer"], facility=months["facility"], month="2026-11")
    # the demo county's own November settlements are on it too: it pays its claims less the 1050.00
    assert november.brought_forward == Decimal("1050.00") and november.fund_total >= Decimal("3450.00")
    assert november.net_payable == november.fund_total - Decimal("1050.00")
    september.refresh_from_db()
    assert september.carried_into_id == november.pk
    november = _approve(demo, november)
    assert november.approved_amount == november.fund_total - Decimal("1050.00")
    assert november.carried_forward == Decimal("0")
    report = books_check()
    assert report.ok, report.problems

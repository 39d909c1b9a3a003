"""The family-doctor fee paid out on the facility's monthly statement (家庭医生签约服务费 line): the fee of month M
posts Cr 2201-<the team's facility>; the facility's statement for M takes it, the disbursement clears it. A fee
paid after the statement of its month was generated leaves that statement as it was and lands on the next one.

Hand-computed (fd_county.py, both teams moved to a clinic of their own with no settlements, so its 2201 starts
at 0.00): 2026-03 东韩村家医团队 80.00 ÷ 12 = 6.67, 甘亭镇家医团队 50.00 ÷ 12 = 4.17;
2026-04 东韩村家医团队 160.00 ÷ 12 = 13.33."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string

from nrcms.facilities.models import Facility
from nrcms.family_doctors import services as svc
from nrcms.family_doctors.models import FeePayment
from nrcms.funding import ledger
from nrcms.funding.checks import books_check
from nrcms.payments.models import FacilityStatement
from nrcms.payments.printout import statement_context
from nrcms.payments.services import (
    statement_approve,
    statement_disburse,
    statement_generate,
    statement_review_start,
)
from nrcms.registry.models import Region

pytestmark = pytest.mark.django_db
CLINIC = "C610125197201"
PAYABLE = f"2201-{CLINIC}"
JSON = "application/json"


@pytest.fixture
def clinic(fd):
    """甲村卫生室 (no settlements ever) with both of fd's teams moved to it before any fee is paid."""
    Facility.objects.create(code=CLINIC, name="甲村卫生室", level="village", region=Region.objects.get(code="610125197201"),
                            in_county=True)
    for team in (fd["t1"], fd["t2"]):
        members = [(m.name, m.role) for m in team.members.all()]
        svc.team_save(actor=fd["reviewer"], team=team, name=team.name, facility_code=CLINIC, members=members)
        team.refresh_from_db()
    return Facility.objects.get(code=CLINIC)


def _pay(fd, team, month):
    payment, created = svc.fee_pay_team(actor=fd["reviewer"], team=fd[team], year=2026, month=month)
    assert created
    return payment


def _approve_and_disburse(demo, statement, reference):
    statement = statement_review_start(actor=demo["reviewer"], statement=statement)
    statement = statement_approve(actor=demo["reviewer"], statement=statement)
    statement, _ = statement_disburse(actor=demo["finance"], statement=statement, reference=reference)
    return statement


def test_fee_paid_is_a_statement_line_and_the_disbursement_clears_the_payable(fd, clinic, demo):
    march_fee, april_fee = _pay(fd, "t1", 3), _pay(fd, "t1", 4)
    assert (march_fee.amount, april_fee.amount, march_fee.facility_id) == (Decimal("6.67"), Decimal("13.33"),
                                                                          clinic.pk)
    assert ledger.balance(PAYABLE) == Decimal("20.00")
    march, created = statement_generate(actor=demo["reviewer"], facility=clinic, month="2026-03")
    assert created and march.lines.count() == 0 and march.fund_total == Decimal("0.00")
    assert (march.family_doctor_fee_total, march.net_payable) == (Decimal("6.67"), Decimal("6.67"))
    assert list(march.family_doctor_fees.all()) == [march_fee]
    assert FeePayment.objects.get(pk=april_fee.pk).statement is None  # April's fee waits for April's statement
    march = _approve_and_disburse(demo, march, "YH-FD-03")
    assert (march.approved_amount, march.disbursed_amount) == (Decimal("6.67"), Decimal("6.67"))
    assert ledger.balance(PAYABLE) == Decimal("13.33")
    april, _ = statement_generate(actor=demo["reviewer"], facility=clinic, month="2026-04")
    assert (april.family_doctor_fee_total, april.net_payable) == (Decimal("13.33"), Decimal("13.33"))
    april = _approve_and_disburse(demo, april, "YH-FD-04")
    assert ledger.balance(PAYABLE) == Decimal("0.00")  # 6.67 + 13.33 posted, 6.67 + 13.33 disbursed
    report = books_check()
    assert report.ok, report.problems


def test_a_fee_paid_after_its_months_statement_lands_on_the_next_statement(fd, clinic, demo):
    _pay(fd, "t1", 3)
    march, _ = statement_generate(actor=demo["reviewer"], facility=clinic, month="2026-03")
    assert march.family_doctor_fee_total == Decimal("6.67")
    late = _pay(fd, "t2", 3)  # 甘亭镇家医团队's March, paid after March's statement was generated
    again, created = statement_generate(actor=demo["reviewer"], facility=clinic, month="2026-03")
    assert not created and again.pk == march.pk
    march.refresh_from_db()
    assert (march.family_doctor_fee_total, march.net_payable, march.family_doctor_fees.count()) == (
        Decimal("6.67"), Decimal("6.67"), 1)
    assert FeePayment.objects.get(pk=late.pk).statement is None
    _approve_and_disburse(demo, march, "YH-FD-03")
    assert ledger.balance(PAYABLE) == Decimal("4.17")  # the late fee is still owed
    _pay(fd, "t1", 4)
    april, _ = statement_generate(actor=demo["reviewer"], facility=clinic, month="2026-04")
    rows = [(f"{f.month:%Y-%m}", f.team.name, f.amount) for f in april.family_doctor_fees.order_by("month")]
    assert rows == [("2026-03", "甘亭镇家医团队", Decimal("4.17")), ("2026-04", "东韩村家医团队", Decimal("13.33"))]
    assert april.family_doctor_fee_total == Decimal("17.50")
    _approve_and_disburse(demo, april, "YH-FD-04")
    assert ledger.balance(PAYABLE) == Decimal("0.00")


def test_statement_printout_api_and_fee_page_show_the_line(client, login, fd, clinic, demo):
    _pay(fd, "t1", 3)
    _pay(fd, "t2", 3)
    march, _ = statement_generate(actor=demo["reviewer"], facility=clinic, month="2026-03")
    html = render_to_string("payments/statement_print.html", statement_context(march))
    assert "家庭医生签约服务费" in html and "东韩村家医团队" in html and "甘亭镇家医团队" in html
    assert 'data-testid="family-doctor-fee-total">10.84<' in html  # 6.67 + 4.17
    assert "壹拾元捌角肆分" in html  # the amount to pay in capitals
    login("reviewer")
    detail = client.get(f"/payments/statements/{march.pk}/").content.decode()
    assert "家庭医生签约服务费" in detail and 'data-testid="net-payable">10.84<' in detail
    pdf = client.get(f"/payments/statements/{march.pk}/statement.pdf")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    out = client.get(f"/api/payments/statements/{march.number}").json()
    assert out["family_doctor_fee_total"] == "10.84" and out["fund_total"] == "0.00"
    assert [(f["month"], f["team"], f["amount"]) for f in out["family_doctor_fees"]] == [
        ("2026-03", "东韩村家医团队", "6.67"), ("2026-03", "甘亭镇家医团队", "4.17")]
    fees = client.get("/api/family-doctors/fees?month=2026-03").json()
    assert {r["team"]: r["statement_number"] for r in fees["rows"] if r["team"] in ("东韩村家医团队", "甘亭镇家医团队")} == {
        "东韩村家医团队": march.number, "甘亭镇家医团队": march.number}
    page = client.get("/family-doctors/fees/?month=2026-03").content.decode()
    assert f"列入月结算单 {march.number}（已生成待审核）" in page


def test_statement_command_generates_for_a_facility_with_only_fees(fd, clinic):
    _pay(fd, "t1", 3)
    out = io.StringIO()
    call_command("statement_generate", "--month", "2026-03", stdout=out)
    text = out.getvalue()
    st = FacilityStatement.objects.get(facility=clinic, month__year=2026, month__month=3)
    assert f"{st.number} 甲村卫生室 基金支付 0.00 元，家庭医生签约服务费 6.67 元" in text

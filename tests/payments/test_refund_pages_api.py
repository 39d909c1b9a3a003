"""Refund and advance pages, API and commands."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from payments_factory import at, settled

from nrcms.accounts.models import AuditEntry
from nrcms.accounts.services import api_token_create
from nrcms.funding import ledger
from nrcms.funding.checks import books_check
from nrcms.payments.models import AdvanceClaim, PatientRefund
from nrcms.payments.services import statement_approve, statement_generate, statement_review_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def settlement(demo, patients):
    """County hospital, 2026-09-03: 7000.00 total, 3550.00 paid by the patient."""
    return settled(demo["desk_county"], patients.people[0], "ZY-F1", at(2026, 9, 3))


def _api(client, username):
    from nrcms.accounts.models import User

    _, key = api_token_create(actor=None, user=User.objects.get(username=username), name="HIS")

    def call(method, path, body=None, **headers):
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {key}", **headers}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        response = getattr(client, method)(f"/api/payments{path}", **kwargs)
        is_json = response["Content-Type"].startswith("application/json")
        return response.status_code, (json.loads(response.content) if is_json else response.content)

    return call


def _recover(demo, refund_number):
    """Place the refund in September and approve September's statement (the recovery)."""
    refund = PatientRefund.objects.get(number=refund_number)
    PatientRefund.objects.filter(pk=refund.pk).update(recorded_at=at(2026, 9, 20))
    statement, _ = statement_generate(actor=demo["reviewer"], facility=refund.facility, month="2026-09")
    statement_approve(actor=demo["reviewer"],
                      statement=statement_review_start(actor=demo["reviewer"], statement=statement))
    return statement


def test_the_api_records_recovers_and_pays_a_refund(client, demo, settlement):
    reviewer, finance = _api(client, "reviewer"), _api(client, "finance")
    body = {"settlement_number": settlement.number, "amount": "80.00", "reason_kind": "miscalculation",
            "reason": "起付线重复扣减", "authority": "审核决定 2026-031"}
    status, refund = reviewer("post", "/refunds", body, HTTP_IDEMPOTENCY_KEY="r-1")
    assert status == 201 and refund["status"] == "recorded" and refund["amount"] == "80.00"
    assert refund["patient_id_number"] != settlement.episode.person.id_number and "*" in refund["patient_id_number"]
    status, again = reviewer("post", "/refunds", body, HTTP_IDEMPOTENCY_KEY="r-1")
    assert status == 200 and again["number"] == refund["number"]
    status, error = reviewer("post", "/refunds", {**body, "amount": "3550.01"})
    assert status == 422 and error["field"] == "amount" and "个人自付" in error["message"]
    status, _ = finance("post", "/refunds", body)
    assert status == 403
    status, error = finance("post", f"/refunds/{refund['number']}/pay", {"reference": "YH-1"})
    assert status == 422 and error["code"] == "not_recovered"
    statement = _recover(demo, refund["number"])
    assert statement.recovery_total == Decimal("80.00")
    status, paid = finance("post", f"/refunds/{refund['number']}/pay", {"reference": "YH-1"}, HTTP_IDEMPOTENCY_KEY="p-1")
    assert status == 201 and paid["status"] == "paid" and paid["statement_number"] == statement.number
    status, _ = finance("post", f"/refunds/{refund['number']}/pay", {"reference": "YH-1"}, HTTP_IDEMPOTENCY_KEY="p-1")
    assert status == 200
    status, page = finance("get", "/refunds?status=paid")
    assert status == 200 and [r["number"] for r in page["items"]] == [refund["number"]]
    status, pdf = finance("get", f"/refunds/{refund['number']}/slip.pdf")
    assert status == 200 and pdf.startswith(b"%PDF")
    status, st = reviewer("get", f"/statements/{statement.number}")
    assert st["recovery_total"] == "80.00" and st["approved_amount"] == str(statement.fund_total - Decimal("80.00"))
    assert books_check().ok


def test_the_api_claims_and_repays_an_advance(client, demo):
    finance, reviewer = _api(client, "finance"), _api(client, "reviewer")
    status, _ = reviewer("post", "/advances", {"layer": "assistance", "month": "2026-11"})
    assert status == 403
    status, claim = finance("post", "/advances", {"layer": "assistance", "month": "2026-11"})
    # the demo county's two November settlements with medical assistance: 1125.50 + 3799.70
    assert status == 201 and claim["amount"] == "4925.20" and claim["line_count"] == 2
    status, lines = finance("get", f"/advances/{claim['number']}/lines")
    assert status == 200 and sorted(x["amount"] for x in lines["items"]) == ["1125.50", "3799.70"]
    assert all("*" in x["patient_id_number"] for x in lines["items"])
    assert finance("post", f"/advances/{claim['number']}/send")[1]["status"] == "sent"
    status, repaid = finance("post", f"/advances/{claim['number']}/repayments",
                             {"amount": "4925.20", "reference": "MZ-2026-11"}, HTTP_IDEMPOTENCY_KEY="m-1")
    assert status == 201 and repaid["status"] == "repaid" and repaid["outstanding"] == "0.00"
    assert ledger.balance("1302") == Decimal("0.00")
    status, page = reviewer("get", "/advances")  # reviewers read (fund.view)
    assert status == 200 and page["total"] == 1


def test_the_pages_record_a_refund_export_and_print(client, demo, login, settlement):
    login("reviewer")
    response = client.post("/payments/refunds/", {
        "settlement_number": settlement.number, "amount": "35.50", "reason_kind": "unreasonable_charge",
        "reason": "重复收取检查费", "authority": "", "idempotency_key": "page-1"})
    assert response.status_code == 302, response.content.decode()[:800]
    refund = PatientRefund.objects.get(idempotency_key="page-1")
    page = client.get(response["Location"]).content.decode()
    person = settlement.episode.person
    assert refund.number in page and "35.50" in page and person.id_number not in page
    response = client.post("/payments/refunds/", {
        "settlement_number": settlement.number, "amount": "3600.00", "reason_kind": "other", "reason": "x"})
    assert response.status_code == 200 and "个人自付" in response.content.decode()
    listing = client.get("/payments/refunds/?q=" + settlement.number).content.decode()
    assert refund.number in listing
    exported = client.get("/payments/refunds/?export=xlsx")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEntry.objects.filter(action="export", object_repr="患者返还清单.xlsx").exists()
    slip = client.get(f"/payments/refunds/{refund.pk}/slip.pdf")
    assert slip.status_code == 200 and slip["Content-Type"] == "application/pdf"
    login("finance")
    assert client.get("/payments/advances/").status_code == 200
    response = client.post("/payments/advances/", {"layer": "safety_net", "month": "2026-11"})
    assert response.status_code == 302
    claim = AdvanceClaim.objects.get(layer="safety_net")
    assert claim.amount == Decimal("1407.20")  # the demo county's one November safety-net settlement
    detail = client.get(response["Location"]).content.decode()
    assert claim.number in detail and "1,407.20" in detail
    assert client.get(f"/payments/advances/{claim.pk}/lines.xlsx").status_code == 200
    assert client.get(f"/payments/advances/{claim.pk}/claim.pdf").status_code == 200
    login("desk_county")
    assert client.get("/payments/refunds/").status_code == 403


def test_the_commands_claim_a_month_and_pay_its_refunds(demo, settlement):
    out = StringIO()
    call_command("advances_claim", "--month", "2026-11", stdout=out)
    assert set(AdvanceClaim.objects.values_list("number", flat=True)) == {"DF1301-202611", "DF1302-202611",
                                                                          "DF1303-202611"}
    refund, _ = __import__("nrcms.payments.refunds", fromlist=["x"]).refund_create(
        actor=demo["reviewer"], settlement=settlement, amount="10.00", reason="计算错误")
    _recover(demo, refund.number)
    out = StringIO()
    call_command("refunds_pay", "--month", "2026-09", "--reference", "PL-0901", "--user", "finance", stdout=out)
    refund.refresh_from_db()
    assert refund.status == "paid" and refund.payment_reference == "PL-0901"
    assert "1 笔" in out.getvalue() and "10.00" in out.getvalue()

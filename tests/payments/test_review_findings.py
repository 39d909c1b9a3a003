"""Findings of the facilities/payments walk-through: a desk naming another facility is refused, reconciliation
amounts are shown to the fen, over-long text is refused by field, a long deduction reason wraps in print."""

import json

import pytest
from payments_factory import at, settled

from nrcms.accounts.services import api_token_create
from nrcms.payments.models import DailyReconciliation, FacilityStatement

pytestmark = pytest.mark.django_db
NUMBER = "YJ202609-H610125001"


@pytest.fixture
def month(demo, patients):
    """County hospital, 2026-09-10: one inpatient settlement, total 7000.00, fund 3450.00, self-pay 3550.00."""
    settled(demo["desk_county"], patients.people[0], "ZY-A", at(2026, 9, 10))


@pytest.fixture
def api(client, demo):
    from nrcms.accounts.models import User

    def caller(username):
        _, key = api_token_create(actor=None, user=User.objects.get(username=username), name="HIS")

        def call(method, path, body=None, **headers):
            kwargs = {"HTTP_AUTHORIZATION": f"Bearer {key}", **headers}
            if body is not None:
                kwargs.update(data=json.dumps(body), content_type="application/json")
            response = getattr(client, method)(f"/api/payments{path}", **kwargs)
            return response.status_code, json.loads(response.content)

        return call

    return caller


def test_a_desk_naming_another_facility_is_refused_not_given_its_own(api, month):
    before = FacilityStatement.objects.count()
    status, error = api("desk_ganting")("post", "/statements", {"month": "2026-09", "facility_code": "H610125001"})
    assert status == 403 and error["code"] == "forbidden" and "H610125001" in error["message"]
    assert set(error) == {"code", "message", "field", "details"}
    assert FacilityStatement.objects.count() == before
    # naming its own facility, or none, is the same as before
    status, st = api("desk_county")("post", "/statements", {"month": "2026-09", "facility_code": "H610125001"})
    assert status == 201 and st["number"] == NUMBER


def test_the_generate_page_refuses_a_desk_naming_another_facility(client, login, month):
    login("desk_ganting")
    before = FacilityStatement.objects.count()
    response = client.post("/payments/statements/", {"month": "2026-09", "facility_code": "H610125001"})
    assert response.status_code == 200 and "只能生成本机构的月结算单" in response.content.decode()
    assert FacilityStatement.objects.count() == before


def test_the_reviewer_must_name_a_facility_in_the_jurisdiction(api, month):
    reviewer = api("reviewer")
    status, error = reviewer("post", "/statements", {"month": "2026-09"})
    assert status == 422 and error["field"] == "facility_code"
    status, error = reviewer("post", "/statements", {"month": "2026-09", "facility_code": "H000"})
    assert status == 404 and error["code"] == "not_found"


def test_reconciliation_amounts_are_kept_and_shown_to_the_fen(api, client, login, month):
    # the facility writes "7000.0", "3450.0", "3550.0" (one decimal): the same amounts, stored as 7000.00 …
    body = {"date": "2026-09-10", "settlement_count": 1, "reversal_count": 0, "total_cost": "7000.0",
            "fund_total": "3450.0", "self_pay": "3550.0", "lines": []}
    status, row = api("desk_county")("post", "/reconciliations", body)
    assert status == 201 and row["result"] == "matched"
    assert (row["facility_totals"]["total_cost"], row["facility_totals"]["fund_total"],
            row["facility_totals"]["self_pay"]) == ("7000.00", "3450.00", "3550.00")
    assert DailyReconciliation.objects.get(pk=row["id"]).facility_totals["fund_total"] == "3450.00"
    login("desk_county")
    html = client.get(f"/payments/reconciliation/{row['id']}/").content.decode()
    assert '<td class="num">7,000.00</td><td class="num">7,000.00</td>' in html
    assert '<td class="num">1</td><td class="num">1</td>' in html  # counts stay counts


def test_a_row_stored_with_one_decimal_is_shown_to_the_fen(api, client, login, demo, month):
    # a row written before amounts were normalised: facility 2435.0 / 352.1 against the system's 7000.00 / 3450.00
    row = DailyReconciliation.objects.create(
        facility=demo["desk_county"].facility, date="2026-09-10", result="mismatched", submitted_by=demo["desk_county"],
        facility_totals={"settlement_count": 1, "reversal_count": 0, "total_cost": "2435.0", "fund_total": "352.1",
                         "self_pay": "2082.9", "lines": {"JS1": "352.1"}},
        system_totals={"settlement_count": 1, "reversal_count": 0, "total_cost": "7000.00", "fund_total": "3450.00",
                       "self_pay": "3550.00"},
        differences=[{"item": "fund_total", "label": "基金支付合计", "facility": "352.1", "system": "3450.00",
                      "difference": "-3097.9"}])
    status, page = api("desk_county")("get", "/reconciliations?date=2026-09-10")
    out = next(r for r in page["items"] if r["id"] == row.pk)
    assert out["facility_totals"]["total_cost"] == "2435.00" and out["facility_totals"]["fund_total"] == "352.10"
    assert out["facility_totals"]["lines"] == {"JS1": "352.10"} and out["facility_totals"]["settlement_count"] == 1
    assert out["differences"][0]["difference"] == "-3097.90"  # 352.10 − 3450.00
    login("desk_county")
    html = client.get(f"/payments/reconciliation/{row.pk}/").content.decode()
    assert "2,435.00" in html and "352.10" in html and "-3,097.90" in html
    assert "2435.0<" not in html and "352.1<" not in html


def test_over_long_text_is_refused_by_field(api, month):
    reviewer, finance = api("reviewer"), api("finance")
    reviewer("post", "/statements", {"month": "2026-09", "facility_code": "H610125001"})
    reviewer("post", f"/statements/{NUMBER}/review")
    status, error = reviewer("post", f"/statements/{NUMBER}/deductions",
                             {"kind": "loss", "base_amount": "10.00", "multiplier": "1", "reason": "挂" * 301})
    assert status == 422 and error["field"] == "reason" and "字段“reason”最长 300 个字符" in error["message"]
    status, _ = reviewer("post", f"/statements/{NUMBER}/deductions",
                         {"kind": "loss", "base_amount": "10.00", "multiplier": "1", "reason": "挂" * 300})
    assert status == 201
    reviewer("post", f"/statements/{NUMBER}/approve")
    status, error = finance("post", f"/statements/{NUMBER}/disburse", {"reference": "R" * 61})
    assert status == 422 and error["field"] == "reference" and "字段“reference”最长 60 个字符" in error["message"]
    status, error = finance("post", f"/statements/{NUMBER}/disburse", {"reference": "YH-1"},
                            HTTP_IDEMPOTENCY_KEY="k" * 81)
    assert status == 422 and error["field"] == "idempotency_key" and "幂等键（Idempotency-Key）最多 80 个字" in error["message"]
    assert FacilityStatement.objects.get(number=NUMBER).status == "approved"


def test_a_long_unbroken_deduction_reason_wraps_in_print(client, login, month, demo):
    from nrcms.payments.services import statement_deduct, statement_generate, statement_review_start

    st, _ = statement_generate(actor=demo["reviewer"], facility=demo["desk_county"].facility, month="2026-09")
    statement_review_start(actor=demo["reviewer"], statement=st)
    statement_deduct(actor=demo["reviewer"], statement=st, kind="loss", base_amount="10.00", multiplier="1",
                     reason="A" * 280)
    login("reviewer")
    printed = client.get(f"/payments/statements/{st.pk}/print/").content.decode()
    assert ".reason { word-break:break-all; }" in printed and f'<td class="reason">{"A" * 280}</td>' in printed
    detail = client.get(f"/payments/statements/{st.pk}/").content.decode()
    assert f'<td class="wrap">{"A" * 280}</td>' in detail

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from payments_factory import at, reversed_, settled

from nrcms.accounts.services import api_token_create
from nrcms.funding.checks import books_check
from nrcms.payments.models import FacilityStatement

pytestmark = pytest.mark.django_db
NUMBER = "YJ202609-H610125001"


@pytest.fixture
def month(demo, patients):
    """County hospital, September 2026: A (09-03) and B (09-10) settled, 3450.00 each from the fund; D settled
    in August and reversed on 09-05 (−3450.00). September's statement: fund 3450.00, cost 7000.00."""
    desk, p = demo["desk_county"], patients.people
    settled(desk, p[0], "ZY-A", at(2026, 9, 3))
    settled(desk, p[1], "ZY-B", at(2026, 9, 10))
    reversed_(desk, settled(desk, p[3], "ZY-D", at(2026, 8, 20)), at(2026, 9, 5))


def _caller(client, username):
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


@pytest.fixture
def api(client, demo):
    return lambda username: _caller(client, username)


def test_the_hospital_system_generates_and_reads_its_statement_and_not_anothers(api, month):
    county, township = api("desk_county"), api("desk_ganting")
    status, st = county("post", "/statements", {"month": "2026-09"})
    assert status == 201 and st["number"] == NUMBER and st["fund_total"] == "3450.00"
    assert st["inpatient_count"] == 1 and st["reversal_count"] == 1 and st["status"] == "submitted"
    status, again = county("post", "/statements", {"month": "2026-09"})
    assert status == 200 and again["number"] == NUMBER
    assert FacilityStatement.objects.filter(month="2026-09-01").count() == 1
    status, page = county("get", "/statements?month=2026-09")
    assert status == 200 and [s["number"] for s in page["items"]] == [NUMBER]
    status, lines = county("get", f"/statements/{NUMBER}/settlements")
    assert status == 200 and lines["total"] == 3
    assert sorted(item["fund_total"] for item in lines["items"]) == ["-3450.00", "3450.00", "3450.00"]
    status, pdf = county("get", f"/statements/{NUMBER}/statement.pdf")
    assert status == 200 and pdf[:5] == b"%PDF-"
    status, error = township("get", f"/statements/{NUMBER}")
    assert status == 404 and error["code"] == "not_found"
    assert township("get", f"/statements/{NUMBER}/statement.pdf")[0] == 404
    # the township centre sees only its own statements (the demo's October one), never the county hospital's
    assert [s["number"] for s in township("get", "/statements")[1]["items"]] == ["YJ202610-H610125101"]
    status, error = township("post", "/statements", {"month": "2026-13"})
    assert status == 422 and error["field"] == "month"


def test_review_approval_and_disbursement_through_the_api(api, month):
    reviewer, finance, desk = api("reviewer"), api("finance"), api("desk_county")
    assert reviewer("post", "/statements", {"month": "2026-09", "facility_code": "H610125001"})[0] == 201
    assert desk("post", f"/statements/{NUMBER}/review")[0] == 403
    assert reviewer("post", f"/statements/{NUMBER}/review")[1]["status"] == "in_review"
    status, error = reviewer("post", f"/statements/{NUMBER}/deductions",
                             {"kind": "fraud", "base_amount": "100.00", "multiplier": "1.5", "reason": "挂床"})
    assert status == 422 and error["field"] == "multiplier"
    status, error = reviewer("post", f"/statements/{NUMBER}/deductions",
                             {"kind": "loss", "base_amount": "100.00", "multiplier": "1.5", "reason": ""})
    assert status == 422 and error["field"] == "reason"
    status, st = reviewer("post", f"/statements/{NUMBER}/deductions",
                          {"kind": "loss", "base_amount": "100.00", "multiplier": "1.5", "reason": "超标准收费"})
    assert status == 201 and st["deduction_total"] == "150.00" and st["deductions"][0]["multiplier"] == "1.50"
    status, error = finance("post", f"/statements/{NUMBER}/disburse", {"reference": "YH-1"})
    assert status == 422 and error["code"] == "not_approved"
    status, st = reviewer("post", f"/statements/{NUMBER}/approve")
    assert status == 200 and st["approved_amount"] == "3300.00"  # 3450.00 − 100.00 × 1.5
    assert reviewer("post", f"/statements/{NUMBER}/approve")[0] == 422
    status, error = reviewer("post", f"/statements/{NUMBER}/disburse", {"reference": "YH-1"})
    # The reviewer who approved it may not disburse: the route itself asks for 基金拨付, which reviewers lack.
    assert status == 403 and error["code"] == "forbidden" and "基金拨付" in error["message"]
    status, st = finance("post", f"/statements/{NUMBER}/disburse", {"reference": "YH-1"}, HTTP_IDEMPOTENCY_KEY="k1")
    assert status == 201 and st["disbursed_amount"] == "3300.00" and st["disbursed_by"] == "finance"
    status, st = finance("post", f"/statements/{NUMBER}/disburse", {"reference": "YH-1"}, HTTP_IDEMPOTENCY_KEY="k1")
    assert status == 200 and st["status"] == "disbursed"
    status, error = finance("post", f"/statements/{NUMBER}/disburse", {"reference": "YH-1"}, HTTP_IDEMPOTENCY_KEY="k2")
    assert status == 409 and error["code"] == "already_disbursed"
    status, st = desk("get", f"/statements/{NUMBER}")
    assert status == 200 and (st["approved_by"], st["reviewed_by"]) == ("reviewer", "reviewer")
    assert books_check().ok


def test_reconciliation_through_the_api(api, month, demo, patients):
    desk = api("desk_county")
    body = {"date": "2026-09-10", "settlement_count": 1, "reversal_count": 0, "total_cost": "7000.00",
            "fund_total": "3450.00", "self_pay": "3550.00"}
    status, row = desk("post", "/reconciliations", body)
    assert status == 201 and row["result"] == "matched" and row["differences"] == []
    status, row = desk("post", "/reconciliations", {**body, "fund_total": "3400.00"})
    assert status == 201 and row["result"] == "mismatched"
    assert row["differences"] == [{"item": "fund_total", "label": "基金支付合计", "number": None,
                                   "facility": "3400.00", "system": "3450.00", "difference": "-50.00"}]
    status, page = desk("get", "/reconciliations?date=2026-09-10")
    assert status == 200 and page["total"] == 2
    assert api("desk_ganting")("get", "/reconciliations")[1]["total"] == 0
    status, error = api("reviewer")("post", "/reconciliations", body)
    assert status == 403


def test_openapi_describes_the_payments_api(client, login):
    login("reviewer")
    schema = client.get("/api/openapi.json").json()
    paths = schema["paths"]
    for path in ("/api/payments/statements", "/api/payments/statements/{number}/disburse",
                 "/api/payments/reconciliations"):
        assert path in paths
    assert "违规扣款" in paths["/api/payments/statements/{number}/deductions"]["post"]["summary"]
    assert "422" in paths["/api/payments/statements/{number}/deductions"]["post"]["responses"]


def test_the_reviewer_and_finance_pages(client, login, month):
    login("reviewer")
    page = client.get("/payments/statements/")
    assert page.status_code == 200 and "月结算单审核与拨付" in page.content.decode()
    response = client.post("/payments/statements/", {"month": "2026-09", "facility_code": "H610125001"})
    st = FacilityStatement.objects.get(number=NUMBER)
    assert response.status_code == 302 and response["Location"] == f"/payments/statements/{st.pk}/"
    url = f"/payments/statements/{st.pk}/"
    assert client.post(url, {"action": "review"}).status_code == 302
    response = client.post(url, {"action": "deduct", "kind": "loss", "base_amount": "100.00", "multiplier": "2.5",
                                 "reason": "超标准收费"})
    assert response.status_code == 200 and "1 至 2 倍" in response.content.decode()
    client.post(url, {"action": "deduct", "kind": "fraud", "base_amount": "100.10", "multiplier": "2.5",
                      "reason": "挂床住院"})
    confirm = client.post(url, {"action": "approve"})  # first the confirm step: nothing approved yet
    st.refresh_from_db()
    assert confirm.status_code == 200 and 'data-testid="approve-confirm"' in confirm.content.decode()
    assert "应拨付 3,199.75 元" in confirm.content.decode() and st.status == "in_review"
    client.post(url, {"action": "approve", "confirm": "1"})
    st.refresh_from_db()
    assert st.status == "approved" and st.approved_amount == Decimal("3199.75")  # 3450.00 − 250.25
    detail = client.get(url).content.decode()
    assert "叁仟壹佰玖拾玖元柒角伍分" in detail and "审定" in detail and "确认拨付" not in detail
    login("finance")
    detail = client.get(url).content.decode()
    assert "确认拨付 3,199.75 元" in detail
    client.post(url, {"action": "disburse", "reference": "YH-20261005-01", "idempotency_key": "p-1"})
    st.refresh_from_db()
    assert st.status == "disbursed" and st.disbursed_by.username == "finance"
    printed = client.get(f"/payments/statements/{st.pk}/print/").content.decode()
    assert "叁仟壹佰玖拾玖元柒角伍分" in printed and "YH-20261005-01" in printed and "挂床住院" in printed
    pdf = client.get(f"/payments/statements/{st.pk}/statement.pdf")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"


def test_the_desk_sees_only_its_own_statement_pages(client, login, month, demo):
    from nrcms.payments.services import statement_generate

    st, _ = statement_generate(actor=None, facility=demo["desk_county"].facility, month="2026-09")
    login("desk_ganting")
    assert client.get(f"/payments/statements/{st.pk}/").status_code == 404
    assert client.get(f"/payments/statements/{st.pk}/statement.pdf").status_code == 404
    assert NUMBER not in client.get("/payments/statements/").content.decode()
    login("desk_county")
    home = client.get("/payments/statements/").content.decode()
    assert NUMBER in home and 'data-menu="reconciliation_list"' in home
    detail = client.get(f"/payments/statements/{st.pk}/").content.decode()
    assert 'value="review"' not in detail and 'value="disburse"' not in detail and "系统（命令行）" in detail
    login("ganting")
    assert client.get("/payments/statements/").status_code == 403


def test_the_reconciliation_page(client, login, month):
    login("desk_county")
    response = client.post("/payments/reconciliation/", {
        "date": "2026-09-10", "settlement_count": "1", "reversal_count": "0", "total_cost": "7000.00",
        "fund_total": "3450.00", "self_pay": "3550.00", "lines": "JS20269999999，10.00\n"})
    assert response.status_code == 302
    detail = client.get(response["Location"]).content.decode()
    assert "不一致" in detail and "JS20269999999" in detail and "系统有、机构无" in detail
    login("finance")
    assert "JS20269999999" not in client.get("/payments/reconciliation/").content.decode()
    assert "户县人民医院" in client.get("/payments/reconciliation/").content.decode()


def test_the_statement_commands(month):
    out = StringIO()
    call_command("statement_generate", month="2026-09", facility="H610125001", stdout=out)
    assert f"{NUMBER} 户县人民医院 基金支付 3450.00 元" in out.getvalue() and "新生成 1 张" in out.getvalue()
    out = StringIO()
    call_command("statement_generate", month="2026-09", stdout=out)
    assert "（已存在）" in out.getvalue() and FacilityStatement.objects.filter(number=NUMBER).count() == 1
    out = StringIO()
    call_command("statement_list", month="2026-09", stdout=out)
    assert NUMBER in out.getvalue() and "已生成待审核" in out.getvalue()
    with pytest.raises(CommandError, match="没有结算记录"):
        call_command("statement_generate", month="2026-09", facility="H610125102", stdout=StringIO())
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("statement_generate", month="九月", stdout=StringIO())


def test_the_nrcms_cli_maps_two_words_to_the_command(month, capsys):
    from nrcms.cli import main

    main(["statement", "generate", "--month", "2026-09", "--facility", "H610125001"])
    assert NUMBER in capsys.readouterr().out

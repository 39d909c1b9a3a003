import json

import pytest

pytestmark = pytest.mark.django_db


def body(response):
    return json.loads(response.content)


def test_clerk_records_a_payment_through_the_api_and_a_retry_is_harmless(client, login, household):
    login("ganting")
    payload = {"household_number": household.number, "scheme_year": 2026, "payer_kind": "self",
               "paid_on": "2025-11-02", "idempotency_key": "api-1"}
    first = client.post("/api/funding/contributions", payload, content_type="application/json")
    again = client.post("/api/funding/contributions", payload, content_type="application/json")
    assert first.status_code == 201 and body(first)["total"] == "1140.00"
    assert body(again)["receipt_number"] == body(first)["receipt_number"]
    receipt = client.get(f"/api/funding/contributions/{body(first)['receipt_number']}/receipt.pdf")
    assert receipt.content[:5] == b"%PDF-"
    bad = client.post("/api/funding/contributions", dict(payload, idempotency_key="api-2", payer_kind="gift"),
                      content_type="application/json")
    assert bad.status_code == 422 and body(bad)["field"] == "payer_kind"


def test_finance_reads_claims_and_books_through_the_api(client, login, household):
    login("finance")
    claim = body(client.get("/api/funding/subsidy-claims?scheme_year=2026"))
    assert claim["per_person"]["central"] == "400.00" or claim["per_person"]["central"] == "400"
    assert body(client.get("/api/funding/ledger/check?scheme_year=2026"))["ok"] is True
    login("ganting")
    assert client.get("/api/funding/ledger/check").status_code == 403


def test_payment_page_records_and_shows_the_receipt_link(client, login, household):
    login("ganting")
    response = client.post("/funding/contributions/", {
        "household_number": household.number, "scheme_year": 2026, "payer_kind": "self", "paid_on": "2025-11-02",
        "idempotency_key": "page-1"})
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "1,140.00" in html and "收据" in html
    html = client.post("/funding/contributions/", {
        "household_number": "NOPE", "scheme_year": 2026, "payer_kind": "self", "paid_on": "2025-11-02"}).content.decode()
    assert "未找到家庭户" in html


def test_progress_page_exports_excel_and_refreshes_by_htmx(client, login, household):
    login("ganting")
    assert "东韩村" in client.get("/funding/progress/?year=2026").content.decode()
    partial = client.get("/funding/progress/?year=2026", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "按村" in partial
    assert client.get("/funding/progress/?year=2026&export=xlsx")["Content-Type"].startswith("application/vnd")


def test_ledger_and_standards_pages(client, login, household):
    login("finance")
    html = client.get("/funding/ledger/?check=1&year=2026").content.decode()
    assert "账簿核对通过" in html and "基金专户存款" in html
    assert "个人缴费" in client.get("/funding/standards/").content.decode()
    assert "财政补助申报" in client.get("/funding/subsidies/?year=2026").content.decode()


def test_finance_watches_collection_progress_county_wide(client, login):
    login("finance")
    page = client.get("/funding/progress/?scheme_year=2026")
    assert page.status_code == 200 and "东韩村" in page.content.decode() and "秦渡村" in page.content.decode()
    data = client.get("/api/funding/progress?scheme_year=2026").json()
    assert data["villages"] and sum(v["enrolled"] for v in data["villages"]) > 0
    home = client.get("/").content.decode()
    assert 'data-menu="collection_progress"' in home

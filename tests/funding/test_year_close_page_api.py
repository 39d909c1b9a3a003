"""The year-end close page (preview, confirmation, the years closed) and its API, on the real clock: 2025 is
over, so it closes on its Dec 31 without a date; 2026 is still running."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from nrcms.accounts.models import AuditEntry
from nrcms.core.money import format_yuan
from nrcms.funding import ledger
from nrcms.funding.checks import books_check
from nrcms.funding.models import YearClose
from nrcms.funding.services import contribution_record

pytestmark = pytest.mark.django_db
LAST_YEAR = timezone.localdate().year - 1


@pytest.fixture
def paid(demo, household):
    """The household's 2026 shares paid in the autumn before: 60.00 into its family account in LAST_YEAR."""
    contribution_record(actor=demo["ganting"], household=household, scheme_year=2026, payer_kind="self",
                        paid_on=dt.date(LAST_YEAR, 11, 2))
    return household


def body(response):
    return json.loads(response.content)


def test_finance_previews_confirms_and_sees_the_year_closed(client, login, paid):
    login("finance")
    page = client.get("/funding/year-close/").content.decode()
    assert "家庭账户年终结账" in page and "预览结转金额" in page and "尚无已结账年度" in page
    preview = client.post("/funding/year-close/", {"action": "preview", "year": LAST_YEAR}).content.decode()
    assert "请确认" in preview and "确认结账" in preview and 'data-testid="close-progress"' in preview
    assert not YearClose.objects.exists()  # the preview writes nothing
    expected = ledger.balance(ledger.family_account_of(paid))
    key = preview.split('name="idempotency_key" value="')[1].split('"')[0]
    total = preview.split('name="expect_total" value="')[1].split('"')[0]
    form = {"action": "confirm", "year": LAST_YEAR, "closing_date": "", "authority": "县合管办通知",
            "expect_total": total, "idempotency_key": key}
    done = client.post("/funding/year-close/", form)
    assert done.status_code == 302
    close = YearClose.objects.get(scheme_year=LAST_YEAR)
    assert close.closing_date == dt.date(LAST_YEAR, 12, 31) and close.total == Decimal(total)
    assert ledger.balance(ledger.family_account_of(paid), until=dt.date(LAST_YEAR, 12, 31)) == Decimal("0.00")
    assert ledger.balance(ledger.family_account_of(paid)) == expected
    listed = client.get(done["Location"]).content.decode()
    assert "家庭账户已结账" in listed and format_yuan(close.total) in listed and "县合管办通知" in listed
    # the same confirmation sent again (a double click): the first close, nothing more
    assert client.post("/funding/year-close/", form).status_code == 302
    assert YearClose.objects.count() == 1 and AuditEntry.objects.filter(action="family_account.year_close").count() == 1
    # a new request for the same year is refused in Chinese
    again = client.post("/funding/year-close/", {"action": "preview", "year": LAST_YEAR}).content.decode()
    assert "不能重复结账" in again and books_check().ok


def test_the_page_refuses_a_running_year_without_a_date_and_clerks_cannot_close(client, login, paid):
    login("finance")
    html = client.post("/funding/year-close/", {"action": "preview", "year": LAST_YEAR + 1}).content.decode()
    assert "尚未结束" in html and "结账日期" in html and not YearClose.objects.exists()
    login("ganting")
    assert client.get("/funding/year-close/").status_code == 403
    assert client.post("/funding/year-close/", {"action": "preview", "year": LAST_YEAR}).status_code == 403


def test_the_api_previews_and_closes_once(client, login, paid):
    login("finance")
    preview = client.get(f"/api/funding/year-closes/preview?scheme_year={LAST_YEAR}")
    assert preview.status_code == 200 and body(preview)["closing_date"] == f"{LAST_YEAR}-12-31"
    payload = {"scheme_year": LAST_YEAR, "expect_total": body(preview)["total"], "idempotency_key": "api-close"}
    first = client.post("/api/funding/year-closes", payload, content_type="application/json")
    assert first.status_code == 201 and body(first)["opening_date"] == f"{LAST_YEAR + 1}-01-01"
    assert body(first)["total"] == body(preview)["total"] and body(first)["closed_by"] == "finance"
    retry = client.post("/api/funding/year-closes", payload, content_type="application/json")
    assert retry.status_code == 201 and body(retry)["closed_at"] == body(first)["closed_at"]
    twice = client.post("/api/funding/year-closes", {"scheme_year": LAST_YEAR}, content_type="application/json")
    assert twice.status_code == 409 and body(twice)["code"] == "already_closed" and body(twice)["field"] == "year"
    early = client.post("/api/funding/year-closes", {"scheme_year": LAST_YEAR + 1}, content_type="application/json")
    assert early.status_code == 422 and body(early)["field"] == "closing_date"
    assert [c["scheme_year"] for c in body(client.get("/api/funding/year-closes"))] == [LAST_YEAR]
    login("ganting")
    assert client.post("/api/funding/year-closes", {"scheme_year": LAST_YEAR},
                       content_type="application/json").status_code == 403

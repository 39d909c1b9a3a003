"""Browser: the reviewer records a refund against a settlement, the statement recovers it, finance pays the
patient and prints the notice slip; finance claims an advance."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from test_payments_flow import _logout, september  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
CST = ZoneInfo("Asia/Shanghai")


def test_reviewer_records_a_refund_and_finance_pays_it(page, live_server, browser_login, shot, september):  # noqa: F811
    from nrcms.claims.models import Settlement
    from nrcms.payments.models import PatientRefund
    from nrcms.payments.services import statement_approve, statement_generate, statement_review_start

    settlement = Settlement.objects.get(episode__serial="ZY-E2E-1")
    reviewer = browser_login("reviewer")
    page.click("[data-menu=refund_list]")
    page.get_by_text("登记返还").click()
    form = page.get_by_test_id("refund-form")
    form.locator("input[name=settlement_number]").fill(settlement.number)
    form.locator("input[name=amount]").fill("3600.00")  # more than the 3550.00 the patient paid
    form.locator("select[name=reason_kind]").select_option("unreasonable_charge")
    form.locator("textarea[name=reason]").fill("重复收取床位费 3 天（专项检查）")
    form.locator("input[name=authority]").fill("户合管〔2026〕17 号")
    form.get_by_role("button", name="登记").click()
    assert "个人自付 3550.00 元" in page.get_by_test_id("refund-form").inner_text()
    page.get_by_test_id("refund-form").locator("input[name=amount]").fill("90.00")
    page.get_by_test_id("refund-form").get_by_role("button", name="登记").click()
    page.wait_for_url("**/payments/refunds/*/")
    expect(page.get_by_test_id("refund-status")).to_have_text("已登记待追回")
    assert settlement.episode.person.id_number not in page.content()
    shot(page, "refund-recorded")

    refund = PatientRefund.objects.get()
    PatientRefund.objects.filter(pk=refund.pk).update(recorded_at=dt.datetime(2026, 9, 25, 9, tzinfo=CST))
    statement, _ = statement_generate(actor=reviewer, facility=settlement.episode.facility, month="2026-09")
    statement = statement_approve(actor=reviewer, statement=statement_review_start(actor=reviewer, statement=statement))
    assert statement.approved_amount == Decimal("6810.00")  # 3450.00 × 2 − 90.00
    page.goto(f"{live_server.url}/payments/statements/{statement.pk}/")
    assert page.get_by_test_id("recovery-total").inner_text().startswith("90.00")
    shot(page, "statement-recovery")
    _logout(page)

    browser_login("finance")
    page.click("[data-menu=refund_list]")
    page.get_by_role("link", name=refund.number).click()
    pay = page.get_by_test_id("refund-pay-form")
    pay.locator("input[name=reference]").fill("NS-20261008-0102")
    pay.get_by_role("button", name="确认支付 90.00 元").click()
    expect(page.locator("body")).to_contain_text("已支付返还 90.00 元给患者")
    expect(page.get_by_test_id("refund-status")).to_have_text("已支付给患者")
    artifacts = shot(page, "refund-paid").parent
    slip = page.context.request.get(f"{live_server.url}/payments/refunds/{refund.pk}/slip.pdf")
    assert slip.status == 200 and slip.body().startswith(b"%PDF")
    (artifacts / "refund-slip.pdf").write_bytes(slip.body())

    page.click("[data-menu=advance_list]")
    page.get_by_text("生成垫付申报单").click()
    page.get_by_test_id("advance-form").locator("select[name=layer]").select_option("assistance")
    page.get_by_test_id("advance-form").locator("input[name=month]").fill("2026-11")
    page.get_by_test_id("advance-form").get_by_role("button", name="生成").click()
    page.wait_for_url("**/payments/advances/*/")
    expect(page.get_by_test_id("advance-status")).to_have_text("已生成待报送")
    shot(page, "advance-claim")

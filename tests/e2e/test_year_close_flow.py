import datetime as dt

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_finance_closes_last_year_after_a_preview_and_a_confirmation(page, live_server, browser_login, shot):
    from nrcms.funding.models import YearClose

    last_year = dt.date.today().year - 1
    browser_login("finance")
    page.click("[data-menu=year_close]")
    page.get_by_test_id("year-close-form").wait_for()
    shot(page, "year-close-form")
    page.fill("input[name=year]", str(last_year))
    page.fill("input[name=authority]", "县合管办〔2026〕1号")
    page.get_by_role("button", name="预览结转金额").click()
    preview = page.get_by_test_id("year-close-preview")
    assert "请确认" in preview.inner_text() and f"{last_year}-12-31" in preview.inner_text()
    households = int(page.get_by_test_id("preview-households").inner_text())
    assert households > 0, "the demo's autumn receipts leave family-account balances in the year before"
    assert not YearClose.objects.exists()
    shot(page, "year-close-preview")
    # the progress indicator appears on submit (held here so the screenshot can catch it)
    page.evaluate("document.getElementById('confirm-form').addEventListener('submit', e => e.preventDefault())")
    page.get_by_test_id("confirm-close").click()
    assert page.get_by_test_id("close-progress").is_visible() and page.get_by_test_id("confirm-close").is_disabled()
    shot(page, "year-close-progress")
    with page.expect_navigation():
        page.evaluate("document.getElementById('confirm-form').submit()")
    expect(page.locator("body")).to_contain_text("家庭账户已结账")
    closes = page.get_by_test_id("year-closes").inner_text()
    assert str(last_year) in closes and str(households) in closes
    shot(page, "year-close-done")
    page.get_by_role("link", name="3109 家庭账户结转").click()
    journal = page.get_by_test_id("journal").inner_text()
    assert f"家庭账户上年（{last_year} 年度）结转" in journal  # the newest first: the opening entries
    shot(page, "year-close-ledger")
    close = YearClose.objects.get(scheme_year=last_year)
    assert close.households == households and close.closed_by.username == "finance"

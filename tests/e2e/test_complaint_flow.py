"""Issue #12: a farmer files a complaint on the public page without logging in and gets a tracking code; the
county reviewer finds it in the list, assigns it, records the investigation and answers; the farmer reads the
answer by the code."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_complaint_filed_on_the_public_page_is_closed_by_staff(page, live_server, browser_login, shot, demo):
    page.goto(f"{live_server.url}/public/complaints/")
    form = page.get_by_test_id("public-complaint-form")
    form.locator("select[name=kind]").select_option("overcharge")
    form.locator("input[name=subject]").fill("出院结算多收检查费")
    form.locator("textarea[name=content]").fill("11 月 3 日在县医院出院，清单上的 CT 检查收了两次。")
    form.locator("input[name=complainant_phone]").fill("13812345678")
    shot(page, "complaint-public-form")
    form.get_by_role("button", name="提交投诉").click()
    code = page.get_by_test_id("tracking-code").inner_text().strip()
    assert len(code) == 10
    shot(page, "complaint-public-filed")

    browser_login("reviewer")
    page.click("[data-menu=complaint_list]")
    page.get_by_role("link", name=code).click()
    page.wait_for_url(f"{live_server.url}/complaints/{code}/")
    assert "138****5678" in page.get_by_test_id("complaint-facts").inner_text()
    assign = page.get_by_test_id("assign-form")
    assign.locator("select[name=assignee]").select_option("director")
    assign.get_by_role("button", name="交办").click()
    page.wait_for_url(f"{live_server.url}/complaints/{code}/")
    note = page.get_by_test_id("note-form")
    note.locator("textarea[name=text]").fill("调取费用清单，确认 CT 重复计费 1 次，180 元。")
    note.get_by_role("button", name="添加记录").click()
    page.wait_for_url(f"{live_server.url}/complaints/{code}/")
    close = page.get_by_test_id("close-form")
    close.locator("select[name=outcome]").select_option("substantiated")
    close.locator("textarea[name=answer]").fill("经查属实，已责令医院退还重复收取的 180 元。")
    page.once("dialog", lambda dialog: dialog.accept())
    close.get_by_role("button", name="答复并办结").click()
    page.wait_for_url(f"{live_server.url}/complaints/{code}/")
    assert "已办结" in page.locator("h1").inner_text()
    shot(page, "complaint-closed")
    page.locator("form[action='/logout/'] button").click()

    page.goto(f"{live_server.url}/public/complaints/track/?code={code}")
    expect(page.get_by_test_id("track-status")).to_have_text("已办结")
    assert "退还重复收取的 180 元" in page.get_by_test_id("track-answer").inner_text()
    shot(page, "complaint-public-track")

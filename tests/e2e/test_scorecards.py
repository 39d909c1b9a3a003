"""A reviewer reads March 2026's facility scorecards (the small county), sees the county hospital's drug share in
red, opens its trend charts, and asks for a warning that the director approves from the to-do list."""

import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stats"))  # the small county the stats tests build


@pytest.fixture
def small(demo, monkeypatch):
    from small_county import build

    return build(demo, monkeypatch)


def _keep(path):
    """The screenshot is in test-artifacts/ already (the shot fixture): check that it was written."""
    assert path.exists() and path.stat().st_size > 0


def test_scorecards_trend_and_designation_request(page, live_server, browser_login, shot, small):
    from nrcms.facilities.supervision import scorecards_run

    scorecards_run(year=2026, month=3)
    browser_login("reviewer")
    expect(page.locator("body")).to_contain_text("定点机构监管指标超阈值预警")
    page.click("[data-menu=scorecard_list]")
    form = page.get_by_test_id("scorecard-filters")
    form.locator("input[name=month]").fill("2026-03")
    form.get_by_role("button", name="查看").click()
    page.wait_for_url("**/facilities/scorecards/?month=2026-03*")
    cell = page.get_by_test_id("above-H610125001-drug_share")
    assert cell.inner_text() == "95.71"
    assert "rgb(" in cell.evaluate("e => getComputedStyle(e).color")
    _keep(shot(page, "scorecards-ranking"))
    page.get_by_test_id("card-H610125001").get_by_role("link").click()
    page.wait_for_selector("[data-testid=chart-drug_share] canvas")
    assert page.locator("[data-chart=scorecard] canvas").count() == 9
    _keep(shot(page, "scorecard-trend"))
    page.goto(f"{live_server.url}/facilities/alerts/")
    _keep(shot(page, "scorecard-alerts"))
    page.goto(f"{live_server.url}/facilities/H610125001/supervision/")
    request_form = page.get_by_test_id("request-form")
    request_form.locator("select[name=action]").select_option("warning")
    request_form.locator("input[name=reason]").fill("药占比连续超标")
    request_form.get_by_role("button", name="提交主任审批").click()
    page.wait_for_selector("text=已提交警告申请")
    _keep(shot(page, "facility-supervision"))
    page.locator("form[action='/logout/'] button").click()
    page.wait_for_url("**/login/**")
    browser_login("director")
    page.get_by_role("link", name="待审批的定点处理申请（警告、暂停、取消、恢复）").first.click()
    row = page.get_by_test_id("designation-requests").locator("tr", has_text="户县人民医院")
    _keep(shot(page, "designation-requests"))
    row.get_by_role("button", name="批准").click()
    page.wait_for_selector("text=已批准")
    assert "药占比连续超标" not in page.get_by_test_id("designation-requests").inner_text()

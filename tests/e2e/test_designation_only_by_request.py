"""Issue 12/13 in the browser: the facility page has no status form and sends the county office to the request;
the director's approval shows in the history with its request; a dead simulation run is failed with its reason
and a 重新计算 button."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)
ZUAN = "H610125103"


def test_a_suspension_goes_through_the_director(page, live_server, browser_login, shot):
    browser_login("reviewer")
    page.goto(f"{live_server.url}/facilities/{ZUAN}/")
    assert page.locator("select[name=status]").count() == 0
    page.get_by_test_id("designation-request-link").click()
    form = page.get_by_test_id("request-form")
    form.locator("select[name=action]").select_option("suspend")
    form.locator("input[name=reason]").fill("串换药品，暂停整改")
    form.get_by_role("button", name="提交主任审批").click()
    page.wait_for_selector("text=已提交暂停定点申请")
    page.goto(f"{live_server.url}/facilities/{ZUAN}/")
    assert "待审批：暂停定点" in page.get_by_test_id("pending-request").inner_text()
    shot(page, "facility-pending-request")
    page.locator("form[action='/logout/'] button").click()
    page.wait_for_url("**/login/**")
    browser_login("director")
    page.goto(f"{live_server.url}/facilities/designation-requests/")
    page.get_by_test_id("designation-requests").locator("tr", has_text="祖庵").get_by_role("button", name="批准").click()
    page.wait_for_selector("text=已批准")
    page.goto(f"{live_server.url}/facilities/{ZUAN}/")
    expect(page.get_by_test_id("facility-status")).to_have_text("暂停")
    assert "暂停定点申请" in page.get_by_test_id("change-request").inner_text()
    shot(page, "facility-approved-change")


def test_a_dead_simulation_run_offers_recalculation(page, live_server, browser_login, shot):
    from nrcms.simulation import runs
    from nrcms.simulation.models import SimulationRun

    reviewer = browser_login("reviewer")
    run = runs.simulation_run_create(actor=reviewer, scheme_keys=["demo-layered-2020@2020-01-01"], year=2026)
    then = timezone.now() - dt.timedelta(minutes=45)
    SimulationRun.objects.filter(pk=run.pk).update(status="running", progress=40, started_at=then, heartbeat_at=then)
    page.goto(f"{live_server.url}/simulation/runs/{run.pk}/")
    assert "后台计算已中断" in page.get_by_test_id("simulation-failed").inner_text()
    assert page.get_by_test_id("simulation-retry").is_visible()
    shot(page, "simulation-stale-run")

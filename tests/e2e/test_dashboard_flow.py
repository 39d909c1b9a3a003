"""The director signs in, sees the dashboard's headline on the home page, opens the dashboard and reads the
charts (each drawn into a canvas by the static dashboard.js, with no CSP violation and no console error); the
county office raises the plan's ceiling so that the spending runs ahead and the alert appears."""

import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stats"))  # the small county the stats tests build
CHARTS = ("fund", "utilisation", "days", "townships", "facilities")


@pytest.fixture
def small(demo, monkeypatch):
    from small_county import build

    return build(demo, monkeypatch)


def _watch(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    return problems


def _keep(path: Path) -> None:
    """The screenshot is in test-artifacts/ already (the shot fixture): check that it was written."""
    assert path.exists() and path.stat().st_size > 0


def test_the_director_reads_the_dashboard_charts(page, live_server, browser_login, shot, small):
    problems = _watch(page)
    browser_login("director")
    page.get_by_test_id("home-headline-load").click()  # computed on request, not with every home page
    page.get_by_test_id("home-headline").locator("[data-alert]").first.wait_for()
    assert "药占比" in page.get_by_test_id("home-headline").inner_text()
    _keep(shot(page, "dashboard-home-director"))
    page.click("[data-menu=stats_dashboard]")
    page.wait_for_url("**/stats/dashboard/")
    for name in CHARTS:
        chart = page.get_by_test_id(f"chart-{name}")
        chart.locator("canvas").first.wait_for()
        assert chart.get_attribute("data-drawn") == "1"
        box = chart.bounding_box()
        assert box["width"] > 300 and box["height"] > 200
    assert "户县人民医院" in page.get_by_test_id("dashboard-facilities").inner_text()
    alerts = page.get_by_test_id("dashboard-alerts").inner_text()
    assert "药占比" in alerts  # 户县人民医院 March: 95.71 %
    _keep(shot(page, "dashboard-director"))
    page.select_option("select[name=year]", "2025")
    page.wait_for_url("**/stats/dashboard/?year=2025")
    assert "尚未设定筹资标准" in page.get_by_test_id("dashboard-alerts").inner_text()
    assert not problems, problems


def test_the_county_office_sets_a_plan_that_the_spending_runs_ahead_of(page, live_server, browser_login, shot,
                                                                         small):
    problems = _watch(page)
    browser_login("reviewer")
    page.goto(f"{live_server.url}/stats/plan/?year=2026")
    page.fill("input[name=planned_share]", "0.5")
    page.fill("input[name=ahead_margin]", "5")
    page.fill("input[name=drug_share_limit]", "45")
    page.fill("input[name=authority]", "户县合管委〔2026〕9号")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/stats/plan/?year=2026")
    assert "0.50%" in page.get_by_test_id("plan-current").inner_text()
    _keep(shot(page, "dashboard-plan"))
    page.goto(f"{live_server.url}/stats/dashboard/?year=2026")
    page.get_by_test_id("chart-utilisation").locator("canvas").first.wait_for()
    assert "基金支出进度超前" in page.get_by_test_id("dashboard-alerts").inner_text()
    _keep(shot(page, "dashboard-running-ahead"))
    assert not problems, problems

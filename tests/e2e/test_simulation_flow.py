"""The county office's reviewer opens 方案测算 from the menu, chooses the scheme in force and an alternative,
the demo year and a three-year projection, runs it, and reads the side-by-side tables and the charts (drawn by
the static script under the strict Content-Security-Policy: no errors in the console)."""


import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_reviewer_compares_two_schemes_and_sees_the_charts(page, live_server, browser_login, shot):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    browser_login("reviewer")
    page.click("[data-menu=simulation_home]")
    form = page.get_by_test_id("simulation-form")
    form.locator("select[name=baseline]").select_option("demo-layered-2020@2020-01-01")
    form.get_by_label("户县新型农村合作医疗补偿方案（2005-01-01 起施行）").check()
    form.locator("input[name=cost_growth]").fill("8")
    form.locator("input[name=project_years]").fill("3")
    shot(page, "simulation-form")
    page.get_by_test_id("simulation-start").click()
    page.wait_for_url("**/simulation/runs/*/")
    page.get_by_test_id("chart-layers").locator("canvas").wait_for()
    assert "已完成" in page.locator("h1").inner_text()
    overall = page.get_by_test_id("section-1")
    assert "基准" in overall.inner_text() and "政策范围内补偿比" in overall.inner_text()
    assert page.get_by_test_id("chart-projection").locator("canvas").count() == 1
    assert page.get_by_test_id("projection").locator("tbody tr").count() == 4
    assert "人中减负" in page.get_by_test_id("gains-summary").inner_text()
    with page.expect_download() as download:
        page.get_by_test_id("simulation-export").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    shot(page, "simulation-result")
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors

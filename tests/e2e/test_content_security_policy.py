"""Issue #10: under the Content-Security-Policy (no inline script) the pages' behaviours still work, and the
browser reports no violation: the member-row button, the chart, the language switch, the print button."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_pages_work_under_the_policy_without_a_violation(page, live_server, browser_login, shot):
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    browser_login("ganting")
    page.goto(f"{live_server.url}/registry/households/new/")
    rows = page.eval_on_selector("#member-rows", "b => b.rows.length")
    page.click("#add-member")
    assert page.eval_on_selector("#member-rows", "b => b.rows.length") == rows + 1
    page.goto(f"{live_server.url}/funding/progress/")
    page.wait_for_selector("#chart canvas")
    shot(page, "csp-collection-progress")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.goto(f"{live_server.url}/registry/households/")
    page.click("table a >> nth=0")
    page.evaluate("window.print = () => { window.__printed = true; }")
    page.click("[data-print]")
    assert page.evaluate("window.__printed === true")
    assert violations == []

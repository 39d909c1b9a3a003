"""The county reviewer uploads next year's scheme (a raised county-hospital rate), reads the check, simulates it
against this year's settlements; the director reads it in plain Chinese with worked examples, compares it with
the scheme in force and approves it."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCHEMES = Path(__file__).resolve().parents[2] / "nrcms" / "policy" / "schemes"


def _keep(path: Path, name: str) -> None:
    """The screenshot is in test-artifacts/ already (the shot fixture): check that it was written."""
    assert path.exists() and path.stat().st_size > 0, name


def test_upload_check_simulate_approve(page, live_server, browser_login, shot, tmp_path):
    raised = tmp_path / "huxian-2027.yaml"
    raised.write_text((SCHEMES / "demo-layered-2020.yaml").read_text(encoding="utf-8")
                      .replace('default: [{rate: "0.75"}]', 'default: [{rate: "0.80"}]'), encoding="utf-8")
    browser_login("reviewer")
    page.click("[data-menu=scheme_list]")
    form = page.get_by_test_id("scheme-upload")
    form.locator("input[name=year]").fill("2027")
    form.locator("input[name=effective_from]").fill("2027-01-01")
    form.locator("input[name=label]").fill("2027 年度方案（县级医院提高到 80%）")
    page.get_by_test_id("scheme-file").set_input_files(str(raised))
    page.get_by_test_id("scheme-upload-submit").click()
    page.wait_for_url("**/schemes/*/")
    assert page.get_by_test_id("check-ok").is_visible()
    page.get_by_test_id("scheme-simulate").click()
    simulation = page.get_by_test_id("simulation").inner_text()
    assert "2026" in simulation and "金额变化笔数" in simulation
    _keep(shot(page, "scheme-simulated"), "scheme-simulated")
    detail_url = page.url

    page.context.clear_cookies()  # sign out: the director signs in on the same browser
    browser_login("director")
    page.goto(detail_url)
    assert "未超过起付线" in page.get_by_test_id("scheme-examples").inner_text()
    page.get_by_role("button", name="对比").click()
    diff = page.get_by_test_id("scheme-diff").inner_text()
    assert "0.75" in diff and "0.8" in diff
    _keep(shot(page, "scheme-diff"), "scheme-diff")
    page.goto(detail_url)
    page.get_by_test_id("scheme-approve-form").locator("input[name=authority]").fill("户医保〔2026〕9号")
    page.get_by_test_id("scheme-approve").click()
    expect(page.get_by_test_id("scheme-status")).to_have_text("待生效")
    _keep(shot(page, "scheme-approved"), "scheme-approved")
    page.click("[data-menu=scheme_list]")
    assert "现行" in page.get_by_test_id("scheme-table").inner_text()
    _keep(shot(page, "scheme-list"), "scheme-list")

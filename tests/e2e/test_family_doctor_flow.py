"""The county reviewer signs a family-doctor contract for one person on the page, pays August 2026's fees
(30.00 of fund share ÷ 12 = 2.50 for 甘亭镇家医团队), and sees the payment with its ledger entry."""

import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "family_doctors"))


@pytest.fixture
def fd(demo):
    from fd_county import build

    return build(demo)


def test_reviewer_signs_a_contract_pays_the_month_and_sees_it(page, live_server, browser_login, shot, fd):
    browser_login("reviewer")
    page.click("[data-menu=fd_contracts]")
    page.get_by_test_id("fd-new-link").click()
    form = page.get_by_test_id("fd-contract-form")
    form.locator("select[name=team]").select_option(str(fd["t2"].pk))
    form.locator("input[name=household]").fill("QY0003")
    form.locator("input[name=person]").fill(fd["h3"][1].id_number)
    form.locator("select[name=package]").select_option("basic")
    form.locator("input[name=start]").fill("2026-07-01")
    for name, value in (("fee", "30"), ("fee_fund", "30"), ("fee_person", "0"), ("fee_public_health", "0")):
        form.locator(f"input[name={name}]").fill(value)
    form.get_by_role("button", name="保存签约").click()
    page.wait_for_url("**/family-doctors/contracts/QY2026*/")
    assert "丁（个人签约）" in page.get_by_test_id("fd-contract").inner_text()
    assert "2026-07-01—2027-06-30" in page.get_by_test_id("fd-contract").inner_text()
    shot(page, "family-doctor-contract")
    page.click("[data-menu=fd_fees]")
    page.locator("#f-month").fill("2026-08")
    page.get_by_role("button", name="查看").click()
    page.get_by_test_id("fd-pay-form").get_by_role("button").click()
    page.wait_for_url("**/family-doctors/fees/?month=2026-08")
    table = page.get_by_test_id("fd-fees").inner_text()
    assert "已支付 2.50 元" in table and "已支付 13.33 元" in table  # 东韩村: (80 + 80) ÷ 12
    shot(page, "family-doctor-fees")

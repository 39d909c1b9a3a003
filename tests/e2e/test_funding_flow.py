from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_township_clerk_records_a_payment_and_opens_the_receipt(page, live_server, browser_login, shot):
    from nrcms.registry.models import Household

    household = (Household.objects.filter(region__code__startswith="610125100", contributions__isnull=True,
                                          enrollments__scheme_year=2026).distinct().order_by("number").first())
    assert household is not None, "the demo leaves some households unpaid"
    browser_login("ganting")
    page.click("[data-menu=contribution_list]")
    page.fill("input[name=household_number]", household.number)
    page.fill("input[name=scheme_year]", "2026")
    page.select_option("select[name=payer_kind]", "self")
    page.get_by_role("button", name="收款并开收据").click()
    expect(page.locator("body")).to_contain_text("已收款")
    table = page.get_by_test_id("contribution-table").inner_text()
    assert household.number in table
    shot(page, "funding-contributions")
    link = page.get_by_role("link", name="收据").first.get_attribute("href")
    response = page.request.get(f"{live_server.url}{link}")
    assert response.status == 200 and response.body()[:5] == b"%PDF-"
    artifacts = Path(__file__).resolve().parents[2] / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "receipt.pdf").write_bytes(response.body())
    page.click("[data-menu=collection_progress]")
    page.get_by_test_id("village-progress").wait_for()
    page.wait_for_timeout(500)
    shot(page, "funding-progress")
    assert "东韩村" in page.get_by_test_id("village-progress").inner_text()


def test_civil_affairs_pays_for_a_dibao_member_from_its_own_menu(page, live_server, browser_login, shot):
    import datetime as dt

    from nrcms.funding.models import Contribution
    from nrcms.registry.models import Enrollment, Household, PersonCategory

    household = (Household.objects.filter(region__code__startswith="610125101", contributions__isnull=True,
                                          enrollments__scheme_year=2026).distinct().order_by("number").first())
    assert household is not None, "the demo leaves some households unpaid"
    person = Enrollment.objects.filter(household=household, scheme_year=2026).order_by("person_id").first().person
    PersonCategory.objects.create(person=person, category="dibao", valid_from=dt.date(2025, 1, 1), authority="测试认定")
    browser_login("civil")
    page.click("[data-menu=contribution_list]")
    assert page.locator("[data-menu=contribution_list]").inner_text().strip() == "民政代缴"
    page.get_by_test_id("household-lookup").locator("input[name=household]").fill(household.number)
    page.get_by_role("button", name="查本户成员").click()
    page.check(f"[data-testid=pay-{person.pk}]")
    assert page.get_by_test_id("payment-form").locator("select[name=payer_kind] option").all_inner_texts() == ["民政代缴"]
    page.get_by_role("button", name="收款并开收据").click()
    # demo standard: 380.00 per person, one 低保 member
    assert "已收款 380.00 元" in page.locator(".msg.success").inner_text()
    c = Contribution.objects.get(household=household)
    assert (c.payer_kind, c.payer_name, str(c.total)) == ("civil_affairs", "县民政局", "380.00")
    shot(page, "funding-civil-affairs")


def test_finance_reads_standards_claims_subsidies_and_checks_the_books(page, live_server, browser_login, shot):
    browser_login("finance")
    page.click("[data-menu=contribution_standard_list]")
    assert "380.00" in page.content() and "户县合管委〔2025〕6号" in page.content()
    assert page.locator("button.primary").count() == 0  # finance reads the standard, the county office sets it
    shot(page, "funding-standards-finance")
    page.click("[data-menu=subsidy_claim]")
    table = page.get_by_test_id("subsidy-table").inner_text()
    assert "甘亭镇" in table and "合计" in table
    page.get_by_role("button", name="按参合人数记应收").click()
    assert "应收已是最新" in page.locator(".msg").first.inner_text()  # the demo posted them already
    shot(page, "funding-subsidies-finance")
    page.click("[data-menu=ledger]")
    page.get_by_role("link", name="核对账簿").click()
    assert "账簿核对通过" in page.get_by_test_id("books-report").inner_text()
    assert "基金专户存款" in page.get_by_test_id("trial-balance").inner_text()
    shot(page, "funding-ledger-finance")

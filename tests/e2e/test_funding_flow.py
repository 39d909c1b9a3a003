from pathlib import Path

import pytest

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
    assert "已收款" in page.content()
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

"""The village clerk's round: open the unpaid list for her village from the home page, find a demo household,
follow the link to collect its contribution. Also: the add-a-row button on the new-household form."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _save(page, shot, name):
    shot(page, name)


def test_the_village_clerk_opens_her_unpaid_list_and_goes_to_collect(page, live_server, browser_login, shot):
    import datetime as dt

    from nrcms.registry.models import Household

    year = dt.date.today().year
    household = (Household.objects.filter(region__code__startswith="610125100201", contributions__isnull=True,
                                          enrollments__scheme_year=year).distinct().order_by("number").first())
    assert household is not None, "the demo leaves some households in 东韩村 unpaid"
    browser_login("donghan")
    home = page.get_by_test_id("home-outstanding")
    assert "未参合、未缴费户" in home.inner_text()
    _save(page, shot, "clerk-home")
    home.get_by_role("link", name="未参合、未缴费户").click()
    page.wait_for_url("**/funding/outstanding/**")
    page.select_option("select[name=status]", "unpaid")
    page.get_by_role("button", name="查询").click()
    row = page.get_by_test_id(f"outstanding-{household.number}")
    assert "已参合未缴费" in row.inner_text()
    table = page.get_by_test_id("outstanding-table").inner_text()
    assert "西街村" not in table and "余下镇" not in table  # only her village
    _save(page, shot, "clerk-outstanding-list")
    row.get_by_role("link", name=household.number).click()  # the household page says the same
    assert "已参合未缴费" in page.get_by_test_id("payment-status").inner_text()
    _save(page, shot, "clerk-household-payment")
    page.go_back()
    row.get_by_role("link", name="收缴费").click()
    page.wait_for_url("**/funding/contributions/**")
    assert page.locator("input[name=household_number]").input_value() == household.number
    assert household.members.first().name in page.content()  # the household's members to tick
    _save(page, shot, "clerk-collect")


def test_the_new_household_form_grows_beyond_six_rows(page, live_server, browser_login, shot):
    browser_login("ganting")
    page.goto(f"{live_server.url}/registry/households/new/")
    assert page.locator("#member-rows tr").count() == 6
    for _ in range(3):
        page.get_by_test_id("add-member").click()
    assert page.locator("#member-rows tr").count() == 9
    assert page.locator("input[name=name_8]").is_visible()
    _save(page, shot, "registry-household-new-nine")

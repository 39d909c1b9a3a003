"""Civil affairs certifies a resident's hypertension at the county hospital from the menu, records a follow-up
and finds the certificate in the register filtered by township and disease; the desk of the township hospital
opens a home sickbed, records a visit, closes and settles it, and reads the stay's figures."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def resident(demo):
    from nrcms.core.idnumber import make_id_number
    from nrcms.registry.models import Enrollment, Household, Person, Region

    region = Region.objects.get(code="610125100201001")
    household = Household.objects.create(number="T6101251002019101", region=region, address="东韩村一组 19 号")
    birth = dt.date(1956, 6, 6)
    person = Person.objects.create(id_number=make_id_number("610125", birth, 411, "M"), name="孙满仓", sex="M",
                                   birth_date=birth, household=household, relation="head")
    Enrollment.objects.create(person=person, household=household, scheme_year=2026)
    return person


def test_chronic_certificate_and_home_sickbed(page, live_server, browser_login, shot, resident):
    browser_login("civil")
    page.click("[data-menu=conditions_chronic]")
    page.get_by_test_id("chronic-new").click()
    form = page.get_by_test_id("chronic-form")
    form.locator("input[name=id_number]").fill(resident.id_number)
    form.locator("select[name=disease_code]").select_option("I10")
    form.locator("select[name=facility_code]").select_option("H610125001")
    form.locator("input[name=certified_on]").fill("2026-03-01")
    form.locator("input[name=valid_until]").fill("2027-02-28")
    form.get_by_role("button", name="保存认定").click()
    page.wait_for_url("**/conditions/chronic/*/")
    expect(page.get_by_test_id("chronic-status")).to_have_text("已认定")
    follow = page.get_by_test_id("chronic-follow-up-form")
    follow.locator("input[name=by_whom]").fill("村医张平")
    follow.locator("input[name=blood_pressure]").fill("148/92 mmHg")
    follow.locator("textarea[name=note]").fill("按时服药，控制饮食")
    follow.get_by_role("button", name="保存随访").click()
    page.wait_for_url("**/conditions/chronic/*/")
    assert "148/92 mmHg" in page.get_by_test_id("chronic-follow-ups").inner_text()
    shot(page, "conditions-chronic-detail")
    page.click("[data-menu=conditions_chronic]")
    filters = page.get_by_test_id("chronic-filters")
    filters.locator("select[name=township]").select_option("610125100000")
    filters.locator("select[name=disease]").select_option("I10")
    filters.get_by_role("button", name="查找").click()
    page.wait_for_url("**/conditions/chronic/?*disease=I10*")
    table = page.get_by_test_id("chronic-table").inner_text()
    assert "孙满仓" in table and "高血压（I10）" in table and resident.id_number not in table
    shot(page, "conditions-chronic-list")

    page.context.clear_cookies()
    browser_login("desk_ganting")
    page.click("[data-menu=conditions_sickbeds]")
    page.get_by_test_id("sickbed-new").click()
    form = page.get_by_test_id("sickbed-form")
    form.locator("input[name=id_number]").fill(resident.id_number)
    form.locator("input[name=doctor]").fill("李医生")
    form.locator("input[name=diagnosis_code]").fill("I63.9")
    form.locator("input[name=opened_on]").fill("2026-05-01")
    form.get_by_role("button", name="建床").click()
    page.wait_for_url("**/conditions/sickbeds/*/")
    visit = page.get_by_test_id("sickbed-visit-form")
    visit.locator("input[name=date]").fill("2026-05-03")
    visit.locator("input[name=services]").fill("查床、口服降压药")
    visit.locator("input[name=item_code]").fill("5101-YP0001")
    visit.locator("input[name=quantity]").fill("8")
    visit.locator("input[name=unit_price]").fill("45")
    visit.get_by_role("button", name="保存查床").click()
    page.wait_for_url("**/conditions/sickbeds/*/")
    close = page.get_by_test_id("sickbed-close-form")
    close.locator("input[name=closed_on]").fill("2026-05-10")
    close.get_by_role("button", name="撤床").click()
    page.wait_for_url("**/conditions/sickbeds/*/")
    page.get_by_test_id("sickbed-settle-form").get_by_role("button", name="按住院结算").click()
    page.wait_for_url("**/conditions/sickbeds/*/")
    expect(page.get_by_test_id("sickbed-status")).to_have_text("已结算")
    # 360.00 in policy − township deductible 200.00 = 160.00 × 85 % = 136.00
    expect(page.get_by_test_id("sickbed-fund-total")).to_have_text("136.00")
    shot(page, "conditions-sickbed-settled")
    # the desk's list of its beds, and its export with the settlement
    page.click("[data-menu=conditions_sickbeds]")
    assert "孙满仓" in page.get_by_test_id("sickbed-table").inner_text()
    shot(page, "conditions-sickbed-list")
    with page.expect_download() as download:
        page.get_by_test_id("sickbed-xlsx").click()
    assert download.value.suggested_filename.startswith("家庭病床名单-")
    with Path(download.value.path()).open("rb") as f:
        rows = list(load_workbook(f, read_only=True).active.iter_rows(values_only=True))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert len(rows) == 2 and row["姓名"] == "孙满仓" and row["状态"] == "已结算"
    assert row["结算单号"] and Decimal(str(row["基金支付（元）"])) == Decimal("136.00")

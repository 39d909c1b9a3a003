import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from nrcms.core.idnumber import make_id_number
from nrcms.registry.models import Certificate, Enrollment, Household, Person, Region

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def patient(demo):
    region = Region.objects.get(code="610125100201001")
    household = Household.objects.create(number="E2E0001", region=region, address="东韩村一组 3 号")
    person = Person.objects.create(id_number=make_id_number("610125", dt.date(1958, 4, 9), 321, "F"), name="赵桂花",
                                   sex="F", birth_date=dt.date(1958, 4, 9), household=household, relation="head")
    Enrollment.objects.create(person=person, household=household, scheme_year=2026)
    Certificate.objects.create(household=household, number="61012599990777")
    return person


def test_desk_settles_an_admission_and_prints_the_voucher(page, live_server, browser_login, shot, patient, tmp_path):
    browser_login("desk_county")
    page.click("[data-menu=desk_home]")
    page.fill("input[name=certificate_number]", "61012599990777")
    page.get_by_role("button", name="查询").first.click()
    page.get_by_test_id("member-card").wait_for()
    assert "已参合" in page.get_by_test_id("member-card").inner_text()
    page.get_by_test_id("member-card").get_by_role("link", name="登记入院").click()
    page.fill("input[name=serial]", "ZY20260510001")
    page.fill("input[name=admission_date]", "2026-05-10")
    page.fill("input[name=diagnosis_code]", "I63.9")
    page.fill("input[name=diagnosis_name]", "脑梗死")
    page.get_by_role("button", name="登记").click()
    page.wait_for_url("**/desk/episodes/**")
    bill = tmp_path / "bill.csv"
    bill.write_text("明细序号,院内编码,项目名称,费用日期,数量,单价,金额\n"
                    "1,5001-ZL0001,普通病房床位费,2026-05-10,10,30,300.00\n"
                    "2,5001-YP0106,注射用尿激酶,2026-05-11,4,1500,6000.00\n"
                    "3,5001-YP0201,人血白蛋白,2026-05-12,2,350,700.00\n", encoding="utf-8")
    page.set_input_files("input[name=file]", str(bill))
    page.get_by_role("button", name="上传").click()
    expect(page.locator("body")).to_contain_text("新增 3 行")
    page.fill("input[name=discharge_date]", "2026-05-20")
    page.get_by_role("button", name="登记出院").click()
    page.get_by_role("button", name="试算").click()
    trial = page.get_by_test_id("trial-result")
    trial.wait_for()
    assert "3,450.00" in trial.inner_text()
    shot(page, "desk-trial")
    page.get_by_role("button", name="结算", exact=True).click()
    expect(page.locator("body")).to_contain_text("结算完成")
    table = page.get_by_test_id("settlement-table").inner_text()
    assert "3,450.00" in table and "3,550.00" in table
    shot(page, "desk-settled")
    from nrcms.claims.models import Settlement

    settlement = Settlement.objects.get(episode__person=patient)
    response = page.request.get(f"{live_server.url}/desk/settlements/{settlement.pk}/voucher.pdf")
    assert response.status == 200 and response.body()[:5] == b"%PDF-"
    (shot.__globals__["ARTIFACTS"] / "voucher.pdf").write_bytes(response.body())
    assert settlement.fund_total == Decimal("3450.00")

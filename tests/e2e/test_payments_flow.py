import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
CST = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def september(demo):
    """Two inpatient first admissions settled at the county hospital in September 2026, 3450.00 each from the
    fund (7000.00 total: bed 300 甲 + urokinase 6000 乙 + albumin 700 丙; (5100 − 500) × 75 %)."""
    from nrcms.claims.desk import episode_discharge
    from nrcms.claims.desk_admission import AdmissionInput, admission_register
    from nrcms.claims.desk_charges import ChargeInput, charges_upload
    from nrcms.claims.models import Settlement
    from nrcms.claims.settlement import settlement_settle
    from nrcms.core.idnumber import make_id_number
    from nrcms.registry.models import Enrollment, Household, Person, Region
    from nrcms.stats import facts

    desk = demo["desk_county"]
    household = Household.objects.create(number="E2EPAY01", region=Region.objects.get(code="610125100201001"),
                                         address="东韩村一组 21 号")
    lines = [("5001-ZL0001", "10", "30", "300.00"), ("5001-YP0106", "4", "1500", "6000.00"),
             ("5001-YP0201", "2", "350", "700.00")]
    for n, (name, birth, sex, day) in enumerate([("马永福", dt.date(1956, 3, 2), "M", 8),
                                                  ("马秀珍", dt.date(1959, 9, 12), "F", 21)], start=1):
        person = Person.objects.create(id_number=make_id_number("610125", birth, 400 + n, sex), name=name, sex=sex,
                                       birth_date=birth, household=household, relation="head" if n == 1 else "spouse")
        Enrollment.objects.create(person=person, household=household, scheme_year=2026)
        episode, _ = admission_register(actor=desk, data=AdmissionInput(
            serial=f"ZY-E2E-{n}", kind="inpatient", id_number=person.id_number, admission_date=dt.date(2026, 9, 1),
            diagnosis_code="I63.9"))
        charges_upload(actor=desk, episode=episode, lines=[
            ChargeInput(line_no=i, facility_item_code=c, item_name="x", charged_on=dt.date(2026, 9, 1),
                        quantity=Decimal(q), unit_price=Decimal(p), amount=Decimal(a))
            for i, (c, q, p, a) in enumerate(lines, start=1)])
        episode = episode_discharge(actor=desk, episode=episode, discharge_date=dt.date(2026, 9, day))
        settlement, _ = settlement_settle(actor=desk, episode=episode)
        Settlement.objects.filter(pk=settlement.pk).update(settled_at=dt.datetime(2026, 9, day, 11, tzinfo=CST))
        facts.add(settlement_ids=[settlement.pk])


def _logout(page):
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/login/**")


def test_reviewer_deducts_and_approves_then_finance_disburses(page, live_server, browser_login, shot, september):
    from nrcms.payments.models import FacilityStatement

    browser_login("reviewer")
    page.click("[data-menu=statement_list]")
    page.get_by_text("生成月结算单").click()
    page.fill("input[name=month]", "2026-09")
    page.fill("input[name=facility_code]", "H610125001")
    page.get_by_role("button", name="生成").click()
    page.wait_for_url("**/payments/statements/*/")
    assert "6,900.00" in page.get_by_test_id("statement-summary").inner_text()  # 3450.00 × 2
    page.get_by_role("button", name="开始审核").click()
    expect(page.locator("body")).to_contain_text("已开始审核")
    form = page.get_by_test_id("deduction-form")
    form.locator("select[name=kind]").select_option("loss")
    form.locator("input[name=base_amount]").fill("400.00")
    form.locator("input[name=multiplier]").fill("1.5")
    form.locator("textarea[name=reason]").fill("床位费超标准收费（专项检查）")
    form.get_by_role("button", name="登记扣款").click()
    expect(page.locator("body")).to_contain_text("已登记违规扣款 600.00 元")  # 400.00 × 1.5
    expect(page.get_by_test_id("deduction-total")).to_have_text("600.00")
    shot(page, "payments-review")
    page.get_by_role("button", name="审定通过").click()
    confirm = page.get_by_test_id("approve-confirm")  # approving asks once more, naming the amount
    assert "应拨付 6,300.00 元" in confirm.inner_text()
    expect(page.get_by_test_id("statement-status")).to_have_text("审核中")
    shot(page, "payments-approve-confirm")
    confirm.get_by_role("button", name="确认审定").click()
    expect(page.locator("body")).to_contain_text("已审定，应拨付 6,300.00 元")  # 6900.00 − 600.00
    expect(page.get_by_test_id("statement-status")).to_have_text("已审核待拨付")
    _logout(page)

    browser_login("finance")
    page.click("[data-menu=statement_list]")
    page.get_by_role("link", name="YJ202609-H610125001").click()
    page.get_by_test_id("disburse-form").locator("input[name=reference]").fill("NS-20261008-0031")
    page.get_by_role("button", name="确认拨付 6,300.00 元").click()
    expect(page.locator("body")).to_contain_text("已拨付 6,300.00 元")
    expect(page.get_by_test_id("disbursed")).to_have_text("6,300.00")
    assert "陆仟叁佰元整" in page.get_by_test_id("statement-summary").inner_text()
    shot(page, "payments-disbursed")
    statement = FacilityStatement.objects.get(number="YJ202609-H610125001")
    assert (statement.approved_by.username, statement.disbursed_by.username) == ("reviewer", "finance")
    response = page.request.get(f"{live_server.url}/payments/statements/{statement.pk}/statement.pdf")
    assert response.status == 200 and response.body()[:5] == b"%PDF-"
    artifacts = Path(__file__).resolve().parents[2] / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "facility-statement.pdf").write_bytes(response.body())


def test_reviewer_sends_a_statement_back_and_the_desk_resubmits_it(page, live_server, browser_login, shot, september):
    from nrcms.claims.models import Settlement
    from nrcms.payments.services import statement_generate

    statement, _ = statement_generate(actor=None, facility=Settlement.objects.filter(
        episode__serial="ZY-E2E-1").get().episode.facility, month="2026-09")
    browser_login("reviewer")
    page.goto(f"{live_server.url}/payments/statements/{statement.pk}/")
    page.locator("summary", has_text="退回医院").click()
    page.get_by_test_id("return-form").locator("textarea[name=reason]").fill("马秀珍住院病历缺出院小结，请补充后报送")
    page.get_by_test_id("return-form").get_by_role("button", name="退回医院").click()
    expect(page.get_by_test_id("statement-status")).to_have_text("已退回医院")
    _logout(page)

    browser_login("desk_county")
    page.click("[data-menu=statement_list]")
    assert "退回原因：马秀珍住院病历缺出院小结" in page.get_by_test_id("statement-table").inner_text()
    page.get_by_role("link", name=statement.number).click()
    assert "缺出院小结" in page.get_by_test_id("return-notice").inner_text()
    _shot_tmp(page, shot, "payments-returned-desk")
    page.get_by_test_id("resubmit-form").locator("textarea[name=note]").fill("已补充出院小结")
    page.get_by_test_id("resubmit-form").get_by_role("button", name="重新报送").click()
    expect(page.get_by_test_id("statement-status")).to_have_text("已生成待审核")
    assert "已补充出院小结" in page.get_by_test_id("resubmission-note").inner_text()

    # the desk's reversal asks once more before it reverses
    settlement = Settlement.objects.get(episode__serial="ZY-E2E-2")
    page.goto(f"{live_server.url}/desk/episodes/{settlement.episode_id}/")
    page.locator("input[name=reason]").last.fill("费用录入错误")
    page.get_by_role("button", name="冲正").click()
    confirm = page.get_by_test_id("reverse-confirm")
    assert settlement.number in confirm.inner_text() and "3,450.00" in confirm.inner_text()
    _shot_tmp(page, shot, "desk-reverse-confirm")
    assert Settlement.objects.get(pk=settlement.pk).status == "active"
    confirm.get_by_role("button", name="确认冲正").click()
    expect(page.locator("body")).to_contain_text("已冲正")


def _shot_tmp(page, shot, name):
    shot(page, name)

import datetime as dt

import pytest
from e2e_people import enroll_patient
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TODAY = dt.date.today()


@pytest.fixture
def patient(demo):
    return enroll_patient(number="E2E0002", address="东韩村一组 5 号", name="李春生", birth=dt.date(1956, 2, 3), serial=331,
                          certificate="61012599990888")


def test_a_township_desk_settles_an_outpatient_visit(page, live_server, browser_login, shot, patient, tmp_path):
    browser_login("desk_ganting")
    page.click("[data-menu=desk_home]")
    page.fill("input[name=certificate_number]", "61012599990888")
    page.get_by_role("button", name="查询").first.click()
    page.get_by_test_id("member-card").wait_for()
    page.get_by_test_id("member-card").get_by_role("link", name="门诊就诊").click()
    expect(page.locator("body")).to_contain_text("门诊就诊登记")
    page.fill("input[name=serial]", "MZ-E2E-1")
    page.fill("input[name=admission_date]", TODAY.isoformat())
    page.get_by_role("button", name="登记门诊").click()
    page.wait_for_url("**/desk/episodes/**")
    bill = tmp_path / "visit.csv"
    bill.write_text("明细序号,院内编码,项目名称,费用日期,数量,单价,金额\n"
                    f"1,5101-ZL0002,普通门诊诊查费,{TODAY},1,10,10.00\n"
                    f"2,5101-YP0001,阿莫西林胶囊,{TODAY},2,45,90.00\n", encoding="utf-8")
    page.set_input_files("input[name=file]", str(bill))
    page.get_by_role("button", name="上传").click()
    assert "新增 2 行" in page.content() and "登记出院" not in page.content()
    page.get_by_role("button", name="试算").click()
    trial = page.get_by_test_id("trial-result")
    trial.wait_for()
    # demo-layered-2020, township: 100.00 × 55 % = 55.00 from outpatient pooling
    assert "55.00" in trial.inner_text() and "门诊统筹" in trial.inner_text()
    shot(page, "outpatient-trial")
    page.get_by_role("button", name="结算", exact=True).click()
    expect(page.locator("body")).to_contain_text("结算完成")
    table = page.get_by_test_id("settlement-table").inner_text()
    assert "55.00" in table and "45.00" in table
    shot(page, "outpatient-settled")
    from nrcms.claims.models import Settlement

    settlement = Settlement.objects.get(episode__serial="MZ-E2E-1")
    response = page.request.get(f"{live_server.url}/desk/settlements/{settlement.pk}/voucher.pdf")
    assert response.status == 200 and response.body()[:5] == b"%PDF-"
    (shot.__globals__["ARTIFACTS"] / "outpatient-voucher.pdf").write_bytes(response.body())


def test_a_reviewer_records_a_manual_claim_and_posts_it_for_notice(page, live_server, browser_login, shot, patient,
                                                                   demo):
    from nrcms.claims.models import Referral
    from nrcms.facilities.models import Facility

    admit = TODAY - dt.timedelta(days=20)
    Referral.objects.create(number="ZZ-E2E-1", person=patient, to_facility=Facility.objects.get(code="H610000001"),
                            approved_on=admit - dt.timedelta(days=1), valid_until=admit + dt.timedelta(days=60),
                            approved_by=demo["ganting"])
    browser_login("reviewer")
    page.click("[data-menu=manual_list]")
    page.get_by_role("link", name="录入报销").click()
    page.fill("input[name=id_number]", patient.id_number)
    page.select_option("select[name=facility_code]", "H610000001")
    page.fill("input[name=admission_date]", admit.isoformat())
    page.fill("input[name=discharge_date]", (TODAY - dt.timedelta(days=12)).isoformat())
    page.fill("input[name=papers_received_on]", (TODAY - dt.timedelta(days=5)).isoformat())
    page.fill("input[name=diagnosis_code]", "I21.9")
    page.fill("input[name=diagnosis_name]", "急性心肌梗死")
    page.fill("input[name=referral_number]", "ZZ-E2E-1")
    for i, (name, cls, share, amount) in enumerate([("甲类费用合计", "A", "", "3000.00"),
                                                    ("乙类费用合计", "B", "0.2", "5000.00"),
                                                    ("丙类费用合计", "C", "", "1000.00")]):
        page.fill(f"input[name=line-{i}-item_name]", name)
        page.select_option(f"select[name=line-{i}-catalogue_class]", cls)
        page.fill(f"input[name=line-{i}-first_self_pay_share]", share)
        page.fill(f"input[name=line-{i}-amount]", amount)
    shot(page, "manual-new")
    page.get_by_role("button", name="录入", exact=True).click()
    page.wait_for_url("**/manual/SG*/")
    # province hospital, referred: eligible 3000 + 4000 = 7000; deductible 1500; 5500 × 55 % = 3025.00
    trial = page.get_by_test_id("trial-result").inner_text()
    assert "3,025.00" in trial and "9,000.00" in trial
    page.get_by_role("button", name="公示").click()
    assert "已公示" in page.content() and "公示中" in page.get_by_test_id("claim-status").inner_text()
    shot(page, "manual-noticed")
    page.get_by_role("button", name="审批支付").click()
    expect(page.locator("body")).to_contain_text("职责分离")  # the recorder cannot approve their own claim
    page.goto(f"{live_server.url}/manual/notice/")
    notice = page.get_by_test_id("notice-table").inner_text()
    assert "李＊＊" in notice and "3,025.00" in notice and patient.id_number not in notice
    shot(page, "manual-notice-list")

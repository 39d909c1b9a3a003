"""A reviewer reads a manual claim's receipts from the CSV Excel saved (GBK, ￥1,250.00, full-width digits),
checks the rows the file filled, and records the claim."""

import datetime as dt

import pytest
from e2e_people import enroll_patient
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TODAY = dt.date.today()
BILL = "\r\n".join(["项目名称,目录分类,先行自付比例,金额", '甲类费用合计,甲类,,"￥3,000.00"',
                    "乙类费用合计,乙类,20%,５０００．００", '丙类费用合计,丙类,,"1,000.00"']) + "\r\n"


@pytest.fixture
def patient(demo):
    return enroll_patient(number="E2E0003", address="东韩村一组 6 号", name="张秋生", birth=dt.date(1957, 3, 4), serial=341,
                          certificate="61012599990999")


def test_a_reviewer_reads_the_receipts_from_an_excel_csv(page, live_server, browser_login, shot, patient, demo,
                                                         tmp_path):
    from nrcms.claims.models import Referral
    from nrcms.facilities.models import Facility

    admit = TODAY - dt.timedelta(days=20)
    Referral.objects.create(number="ZZ-E2E-3", person=patient, to_facility=Facility.objects.get(code="H610000001"),
                            approved_on=admit - dt.timedelta(days=1), valid_until=admit + dt.timedelta(days=60),
                            approved_by=demo["ganting"])
    browser_login("reviewer")
    page.goto(f"{live_server.url}/manual/new/")
    page.fill("input[name=id_number]", patient.id_number)
    page.select_option("select[name=facility_code]", "H610000001")
    page.fill("input[name=admission_date]", admit.isoformat())
    page.fill("input[name=discharge_date]", (TODAY - dt.timedelta(days=12)).isoformat())
    page.fill("input[name=papers_received_on]", (TODAY - dt.timedelta(days=5)).isoformat())
    page.fill("input[name=diagnosis_code]", "I21.9")
    page.fill("input[name=diagnosis_name]", "急性心肌梗死")
    page.fill("input[name=referral_number]", "ZZ-E2E-3")
    bill = tmp_path / "票据.csv"
    bill.write_bytes(BILL.encode("gbk"))
    page.set_input_files("input[name=bill]", str(bill))
    page.get_by_role("button", name="读入").click()
    expect(page.locator("body")).to_contain_text("读入 3 行票据明细")
    assert page.input_value("input[name=line-1-amount]") == "5000.00"
    assert page.input_value("input[name=line-1-first_self_pay_share]") == "0.2"
    assert page.input_value("input[name=id_number]") == patient.id_number
    shot(page, "manual-bill-read")
    page.get_by_role("button", name="录入", exact=True).click()
    page.wait_for_url("**/manual/SG*/")
    trial = page.get_by_test_id("trial-result").inner_text()
    assert "3,025.00" in trial and "9,000.00" in trial  # money as the page shows it

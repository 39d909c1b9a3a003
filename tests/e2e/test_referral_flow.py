"""A township clerk records a referral in the browser, prints the slip (转诊单), and the list finds it."""

import datetime as dt

import pytest

from nrcms.claims.models import Referral
from nrcms.core.idnumber import make_id_number
from nrcms.registry.models import Certificate, Enrollment, Household, Person, Region

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TODAY = dt.date.today()


@pytest.fixture
def patient(demo):
    region = Region.objects.get(code="610125100201001")
    household = Household.objects.create(number="E2E0031", region=region, address="东韩村一组 9 号")
    person = Person.objects.create(id_number=make_id_number("610125", dt.date(1958, 4, 5), 337, "M"), name="赵长顺",
                                   sex="M", birth_date=dt.date(1958, 4, 5), household=household, relation="head")
    Enrollment.objects.create(person=person, household=household, scheme_year=TODAY.year)
    Certificate.objects.create(household=household, number="61012599990931")
    return person


def test_a_township_clerk_records_and_prints_a_referral(page, live_server, browser_login, shot, patient):
    browser_login("ganting")
    page.click("[data-menu=referral_list]")
    page.get_by_test_id("referral-new").click()
    page.fill("input[name=id_number]", patient.id_number)
    page.select_option("select[name=from_facility]", "H610125101")
    page.select_option("select[name=to_facility]", "H610100001")
    page.fill("input[name=diagnosis_code]", "I21.9")
    page.fill("input[name=reason]", "急性心肌梗死，需冠脉介入")
    page.fill("input[name=approved_on]", TODAY.isoformat())
    shot(page, "referral-form")
    page.get_by_role("button", name="备案").click()
    page.wait_for_url("**/referrals/ZZ*/")
    referral = Referral.objects.get(person=patient)
    assert page.get_by_test_id("referral-number").inner_text() == referral.number
    slip = page.get_by_test_id("referral-slip").inner_text()
    assert "赵长顺" in slip and "西安市中心医院" in slip and "61012599990931" in slip and "急性心肌梗死" in slip
    shot(page, "referral-slip")
    page.emulate_media(media="print")
    assert not page.get_by_test_id("referral-cancel").is_visible()  # screen-only
    shot(page, "referral-slip-print")
    page.emulate_media(media="screen")
    page.click("[data-menu=referral_list]")
    page.fill("input[name=q]", "赵长顺")
    page.get_by_role("button", name="查询").click()
    assert referral.number in page.get_by_test_id("referral-table").inner_text()
    shot(page, "referral-list")

"""个人信息保护 in the browser: a township clerk sees a resident's numbers masked and reveals them with a reason;
a hospital desk chooses a family member from the certificate and admits them without ever seeing the full ID."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from nrcms.core.idnumber import make_id_number
from nrcms.core.masking import mask_id
from nrcms.registry.models import Certificate, Enrollment, Household, Person, Region

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def family(demo):
    region = Region.objects.get(code="610125100201001")
    household = Household.objects.create(number="E2E0404", region=region, address="东韩村一组 4 号",
                                         phone="13912345678")
    people = []
    for seq, (name, sex, born, relation) in enumerate([("郑大成", "M", dt.date(1961, 3, 2), "head"),
                                                      ("郑王氏", "F", dt.date(1963, 7, 9), "spouse")]):
        person = Person.objects.create(id_number=make_id_number("610125", born, 300 + seq, sex), name=name, sex=sex,
                                       birth_date=born, household=household, relation=relation,
                                       phone="13912345678" if relation == "head" else "")
        Enrollment.objects.create(person=person, household=household, scheme_year=2026)
        people.append(person)
    Certificate.objects.create(household=household, number="61012599990404")
    return people


def test_clerk_reveals_a_residents_numbers_with_a_reason(page, live_server, browser_login, shot, family):
    head = family[0]
    browser_login("ganting")
    page.goto(f"{live_server.url}/registry/persons/{head.pk}/")
    assert page.get_by_test_id("id-number").inner_text() == mask_id(head.id_number)
    expect(page.get_by_test_id("phone")).to_have_text("139****5678")
    assert head.id_number not in page.content()
    shot(page, "personal-data-masked")
    page.fill("[data-testid=reveal-form] input[name=reason]", "核对缴费人身份")
    page.get_by_role("button", name="显示完整号码").click()
    page.get_by_test_id("revealed-note").wait_for()
    assert page.get_by_test_id("id-number").inner_text() == head.id_number
    assert "13912345678" in page.get_by_test_id("phone").inner_text()
    shot(page, "personal-data-revealed")
    page.goto(f"{live_server.url}/registry/persons/{head.pk}/")
    assert head.id_number not in page.content()


def test_desk_admits_a_family_member_chosen_from_the_certificate_without_the_full_id(page, live_server,
                                                                                      browser_login, shot, family):
    spouse = family[1]
    browser_login("desk_county")
    page.click("[data-menu=desk_home]")
    page.fill("input[name=certificate_number]", "61012599990404")
    page.get_by_role("button", name="查询").first.click()
    page.get_by_test_id("member-choices").wait_for()
    page.get_by_test_id("member-choices").get_by_role("link", name="郑王氏").click()
    page.get_by_test_id("member-card").wait_for()
    assert mask_id(spouse.id_number) in page.get_by_test_id("member-card").inner_text()
    assert all(p.id_number not in page.content() for p in family)
    shot(page, "personal-data-desk-card")
    page.get_by_test_id("member-card").get_by_role("link", name="登记入院").click()
    page.get_by_test_id("chosen-patient").wait_for()
    assert "郑王氏" in page.get_by_test_id("chosen-patient").inner_text()
    assert all(p.id_number not in page.content() for p in family)
    page.fill("input[name=serial]", "ZY20260404001")
    page.fill("input[name=admission_date]", "2026-05-10")
    shot(page, "personal-data-desk-admit")
    page.get_by_role("button", name="登记").click()
    page.wait_for_url("**/desk/episodes/**")
    assert "郑王氏" in page.content() and spouse.id_number not in page.content()
    shot(page, "personal-data-desk-episode")

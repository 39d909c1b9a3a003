import datetime as dt
from pathlib import Path

import pytest

from nrcms.core.idnumber import make_id_number
from nrcms.core.masking import mask_id
from nrcms.funding.models import Contribution
from nrcms.registry.models import Certificate, Enrollment, Household

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_township_clerk_registers_enrolls_collects_payment_and_prints_the_certificate(page, live_server, browser_login, shot):
    browser_login("ganting")
    page.click("[data-menu=household_list]")
    assert "东韩村" in page.get_by_test_id("household-table").inner_text()
    shot(page, "registry-household-list")
    page.get_by_test_id("household-new").click()
    head = make_id_number("610125", dt.date(1971, 4, 5), 21, "M")
    wife = make_id_number("610125", dt.date(1973, 6, 7), 21, "F")
    son = make_id_number("610125", dt.date(2001, 8, 9), 21, "M")
    page.select_option("select[name=region]", "610125100201001")
    page.fill("input[name=address]", "一组 66 号")
    page.fill("input[name=phone]", "13811112222")
    for i, (name, number, relation) in enumerate([("翟永福", head, None), ("缪桂香", wife, "spouse"),
                                                   ("翟小兵", son, "child")]):
        page.fill(f"input[name=name_{i}]", name)
        page.fill(f"input[name=id_number_{i}]", number)
        if relation:
            page.select_option(f"select[name=relation_{i}]", relation)
    shot(page, "registry-household-new")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/registry/households/*/")
    assert "已建档" in page.content() and mask_id(head) in page.content() and head not in page.content()
    household = Household.objects.get(members__id_number=head)
    son_pk = household.members.get(id_number=son).pk

    # leave the soldier son out without a reason: refused, naming him
    page.uncheck(f"[data-testid=enroll-{son_pk}]")
    page.get_by_test_id("enroll-submit").click()
    assert "翟小兵" in page.locator(".msg.error").inner_text()
    shot(page, "registry-enroll-refused")
    page.uncheck(f"[data-testid=enroll-{son_pk}]")
    page.select_option(f"select[name=reason_{son_pk}]", "military")
    page.get_by_test_id("enroll-submit").click()
    assert "参合 2 人，登记未参合原因 1 人" in page.locator(".msg.success").inner_text()
    assert Enrollment.objects.filter(household=household, scheme_year=2026).count() == 2
    detail_url = page.url

    # the new household pays on the contribution page: its two enrolled members are ticked, the exempted son
    # has no box; demo standard 2026 = 380.00 per person, so 2 × 380.00 = 760.00 (柒佰陆拾元整)
    page.click("[data-menu=contribution_list]")
    lookup = page.get_by_test_id("household-lookup")
    lookup.locator("input[name=household]").fill(household.number)
    lookup.get_by_role("button", name="查本户成员").click()
    members = page.get_by_test_id("member-table")
    assert "翟永福" in members.inner_text() and "未参合" in members.inner_text()
    head_pk, wife_pk = (household.members.get(id_number=n).pk for n in (head, wife))
    assert page.locator(f"[data-testid=pay-{son_pk}]").count() == 0
    page.check(f"[data-testid=pay-{head_pk}]")
    page.check(f"[data-testid=pay-{wife_pk}]")
    assert page.input_value("input[name=household_number]") == household.number
    page.select_option("select[name=payer_kind]", "self")
    shot(page, "registry-flow-payment")
    page.get_by_role("button", name="收款并开收据").click()
    assert "已收款 760.00 元" in page.locator(".msg.success").inner_text()
    contribution = Contribution.objects.get(household=household)
    assert str(contribution.total) == "760.00" and contribution.lines.count() == 2
    row = page.get_by_test_id("contribution-table").inner_text()
    assert contribution.receipt_number in row and "760.00" in row and "本人缴纳" in row
    shot(page, "registry-flow-paid")
    receipt = page.request.get(live_server.url + page.get_by_test_id(f"receipt-{contribution.pk}").get_attribute("href"))
    assert receipt.status == 200 and receipt.headers["content-type"] == "application/pdf"
    assert receipt.body()[:5] == b"%PDF-"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "receipt-new-household.pdf").write_bytes(receipt.body())

    page.goto(detail_url)
    page.get_by_test_id("certificate-issue").click()
    cert = Certificate.objects.get(household=household)
    assert cert.number in page.get_by_test_id("certificate-number").inner_text()
    shot(page, "registry-household-detail")
    response = page.request.get(live_server.url + page.get_by_test_id("certificate-print").get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body()[:4] == b"%PDF"

    page.click("[data-menu=roster_import]")
    assert page.get_by_test_id("template-download").is_visible()
    assert page.get_by_test_id("import-form").is_visible()
    shot(page, "registry-roster-import")

    page.click("[data-menu=person_search]")
    page.fill("input[name=q]", "zyf")
    page.click("form.filters button[type=submit]")
    assert "翟永福" in page.get_by_test_id("person-table").inner_text()
    shot(page, "registry-person-search")

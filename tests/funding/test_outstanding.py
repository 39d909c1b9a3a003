"""The clerk's list of households not yet enrolled or not yet paid, the household page's payment line, the
receipt's payer, and a household of more than six registered on the page."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from nrcms.accounts.services import api_token_create
from nrcms.core.idnumber import make_id_number
from nrcms.funding.outstanding import household_payment, outstanding_households
from nrcms.funding.receipt import receipt_context
from nrcms.funding.services import contribution_record
from nrcms.registry.models import Enrollment, EnrollmentExemption, Household, Person, Region

pytestmark = pytest.mark.django_db
GROUP = "610125100201001"  # 甘亭镇东韩村一组


def _household(number, names, *, enrolled=True, exempt=False, seq=300):
    h = Household.objects.create(number=number, region=Region.objects.get(code=GROUP), address="测试")
    for n, name in enumerate(names):
        birth = dt.date(1970 + n, 3, 4)
        p = Person.objects.create(id_number=make_id_number("610125", birth, seq + n, "M"), name=name, sex="M",
                                  birth_date=birth, household=h, relation="head" if n == 0 else "child")
        if enrolled:
            Enrollment.objects.create(person=p, household=h, scheme_year=2026)
        elif exempt:
            EnrollmentExemption.objects.create(person=p, household=h, scheme_year=2026, reason="military")
    return h


@pytest.fixture
def village(demo, standard):
    """Five households in 东韩村一组 for 2026 (personal share 380.00): not enrolled, enrolled and unpaid,
    half paid, paid in full, and wholly exempted."""
    hs = {
        "not_enrolled": _household("T01", ["甲一", "甲二"], enrolled=False, seq=300),
        "unpaid": _household("T02", ["乙一", "乙二"], seq=310),
        "partial": _household("T03", ["丙一", "丙二"], seq=320),
        "paid": _household("T04", ["丁一", "丁二"], seq=330),
        "exempt": _household("T05", ["戊一"], enrolled=False, exempt=True, seq=340),
    }
    clerk = demo["ganting"]
    contribution_record(actor=clerk, household=hs["partial"], scheme_year=2026, payer_kind="self",
                        paid_on=dt.date(2026, 1, 5), persons=[hs["partial"].members.order_by("id").first()])
    contribution_record(actor=clerk, household=hs["paid"], scheme_year=2026, payer_kind="self",
                        paid_on=dt.date(2026, 1, 5))
    return hs


def _statuses(user, **kw):
    qs = outstanding_households(actor=user, scheme_year=2026, **kw).filter(number__startswith="T0")
    return dict(qs.values_list("number", "outstanding_status"))


def test_the_list_tells_not_enrolled_unpaid_and_partly_paid_households_apart(demo, village):
    assert _statuses(demo["ganting"]) == {"T01": "not_enrolled", "T02": "unpaid", "T03": "partial"}
    assert _statuses(demo["donghan"]) == {"T01": "not_enrolled", "T02": "unpaid", "T03": "partial"}
    assert _statuses(demo["yuxia"]) == {}  # another township's clerk sees none of them
    assert _statuses(demo["ganting"], status="partial") == {"T03": "partial"}
    assert _statuses(demo["ganting"], search="乙二") == {"T02": "unpaid"}
    assert _statuses(demo["ganting"], region_code="610125100202") == {}  # another village of the township
    row = outstanding_households(actor=demo["ganting"], scheme_year=2026).get(number="T03")
    assert (row.enrolled_n, row.paid, row.expected) == (2, Decimal("380.00"), Decimal("760.00"))


def test_the_page_lists_filters_exports_and_prints(client, login, village):
    login("donghan")
    page = client.get("/funding/outstanding/?year=2026").content.decode()
    assert 'data-testid="outstanding-T02"' in page and 'data-testid="outstanding-T04"' not in page
    assert '/funding/contributions/?household=T02&amp;year=2026' in page  # the link to collect
    assert "已参合未缴费" in page and "未缴清" in page
    only = client.get("/funding/outstanding/?year=2026&status=not_enrolled").content.decode()
    assert 'data-testid="outstanding-T01"' in only and 'data-testid="outstanding-T02"' not in only
    export = client.get("/funding/outstanding/?year=2026&export=xlsx")
    assert export.status_code == 200 and export.content[:2] == b"PK"
    printed = client.get("/funding/outstanding/?year=2026&print=1").content.decode()
    assert "未参合、未缴费户清单" in printed and "T03" in printed and "T04" not in printed
    bad = client.get("/funding/outstanding/?year=20x6")
    assert bad.status_code == 422 and "年度“20x6”应为四位年份" in bad.content.decode()


def test_the_clerks_home_and_menu_lead_to_the_list_with_a_count(client, login, demo, village):
    login("ganting")
    home = client.get("/").content.decode()
    count = outstanding_households(actor=demo["ganting"], scheme_year=dt.date.today().year).count()
    assert 'data-testid="home-outstanding"' in home and f"<b>{count}</b> 户" in home
    assert 'data-menu="outstanding_list"' in home
    login("desk_county")
    assert 'data-testid="home-outstanding"' not in client.get("/").content.decode()
    assert client.get("/funding/outstanding/").status_code == 403


def test_the_api_lists_the_callers_outstanding_households(client, demo, village):
    _, key = api_token_create(actor=None, user=demo["donghan"], name="test")
    response = client.get("/api/funding/outstanding-households?year=2026&status=partial",
                          HTTP_AUTHORIZATION=f"Bearer {key}")
    body = json.loads(response.content)
    assert response.status_code == 200 and body["personal_amount"] == "380.00"
    assert [(i["household_number"], i["paid"], i["owed"], i["head"]) for i in body["items"]] == [
        ("T03", "380.00", "380.00", "丙一")]
    bad = client.get("/api/funding/outstanding-households?status=late", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert bad.status_code == 422 and json.loads(bad.content)["field"] == "status"
    assert "/api/funding/outstanding-households" in client.get("/api/openapi.json").json()["paths"]


def test_the_household_page_shows_the_years_payment_and_the_way_to_collect(client, login, village):
    login("ganting")
    partial = village["partial"]
    page = client.get(f"/registry/households/{partial.pk}/?year=2026").content.decode()
    assert "未缴清" in page and "尚欠 <b>380.00</b> 元" in page
    assert f'/funding/contributions/?household={partial.number}&amp;year=2026" data-testid="collect-link"' in page
    assert household_payment(household=village["paid"], scheme_year=2026).status == "paid"
    assert household_payment(household=village["not_enrolled"], scheme_year=2026).status_label == "未参合"


def test_the_receipt_names_the_head_who_paid_for_the_household(demo, village):
    h = village["unpaid"]
    c = contribution_record(actor=demo["ganting"], household=h, scheme_year=2026, payer_kind="self",
                            paid_on=dt.date(2026, 1, 6))
    assert c.payer_name == "乙一"  # the head, by name
    c.payer_name = "户主"  # a receipt recorded before this fix
    assert receipt_context(c)["payer"] == "乙一（户主）"


def test_a_household_of_nine_is_registered_on_the_page(client, login):
    login("ganting")
    form = client.get("/registry/households/new/").content.decode()
    assert 'data-testid="add-member"' in form and 'id="member-row"' in form
    data = {"region": "610125100201002", "address": "二组 8 号"}
    for i in range(9):
        birth = dt.date(1950 + 5 * i, 1, 1)
        data.update({f"name_{i}": f"成员{i}", f"id_number_{i}": make_id_number("610125", birth, 400 + i, "M"),
                     f"relation_{i}": "head" if i == 0 else "child"})
    response = client.post("/registry/households/new/", data)
    assert response.status_code == 302, response.content.decode()[:300]
    h = Household.objects.get(members__name="成员0")
    assert h.members.count() == 9
    again = client.get("/registry/households/new/?rows=12").content.decode()
    assert 'name="name_11"' in again

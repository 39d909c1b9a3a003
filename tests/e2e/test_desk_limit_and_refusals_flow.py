"""Issue #10 in the browser: the desk's lookups beyond the limit show the Chinese refusal in the member card's
place (htmx swaps the 429); a township clerk entering someone of another township learns nothing about them."""

import datetime as dt

import pytest

from nrcms.core.idnumber import make_id_number
from nrcms.registry.models import Household, Person, Region
from nrcms.registry.people import PersonInput, household_register

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_desk_lookups_beyond_the_limit_show_the_refusal(page, live_server, browser_login, shot, settings):
    settings.NRCMS_DESK_LOOKUP_PER_MINUTE = 2
    browser_login("desk_county")
    page.click("[data-menu=desk_home]")
    id_number = Person.objects.filter(status="active").values_list("id_number", flat=True).first()
    for _ in range(2):
        page.fill("input[name=id_number]", id_number)
        page.click("form.filters button[type=submit] >> nth=0")
        page.get_by_test_id("member-card").wait_for()
    page.fill("input[name=id_number]", id_number)
    page.click("form.filters button[type=submit] >> nth=0")
    error = page.get_by_test_id("lookup-error")
    error.wait_for()
    assert "查询过于频繁，请稍后再试" in error.inner_text()
    shot(page, "desk-lookup-rate-limited")


def test_clerk_registering_someone_of_another_township_learns_nothing(page, live_server, browser_login, shot, demo):
    other = household_register(
        actor=demo["ganting"], region=Region.objects.get(code="610125100201001"), address="一组 9 号",
        head=PersonInput(name="苗德厚", id_number=make_id_number("610125", dt.date(1966, 3, 4), 41, "M"),
                         relation="head"))
    existing = other.members.get()
    browser_login("yuxia")
    page.goto(f"{live_server.url}/registry/households/new/")
    page.select_option("select[name=region]", "610125101201001")
    page.fill("input[name=name_0]", "王五")
    page.fill("input[name=id_number_0]", existing.id_number)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    text = page.content()
    assert "已在本县其他乡镇登记" in text and "县合管办" in text
    assert other.number not in text and "东韩村" not in text and "苗德厚" not in text
    assert Household.objects.filter(members__id_number=existing.id_number).count() == 1
    shot(page, "registry-cross-township-refusal")

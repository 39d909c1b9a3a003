"""A ticked family member is shown as a selection (the accent blue), never in the red used for errors."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SELECTED = "rgb(228, 238, 248)"  # #e4eef8, the menu's selection colour


def _red(rgb: str) -> bool:
    r, g, b = (int(x) for x in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3])
    return r > 150 and g < 120 and b < 120


def test_ticked_members_on_the_payment_page_are_highlighted_not_red(page, live_server, browser_login, demo, shot):
    from nrcms.funding.outstanding import outstanding_households

    clerk = browser_login("ganting")
    household = next(h for h in outstanding_households(actor=clerk, scheme_year=2026, status="unpaid")
                     if h.enrolled_n > 1)
    page.goto(f"{live_server.url}/funding/contributions/?year=2026&household={household.number}")
    boxes = page.locator("[data-testid=member-table] input[name=person]")
    boxes.nth(0).check()
    row = "el => getComputedStyle(el.closest('tr').querySelector('td')).backgroundColor"
    ticked, unticked = boxes.nth(0).evaluate(row), boxes.nth(1).evaluate(row)
    assert ticked == SELECTED and unticked != SELECTED
    accent = boxes.nth(0).evaluate("el => getComputedStyle(el).accentColor")
    assert not _red(ticked) and not _red(accent) and accent == "rgb(11, 92, 173)"  # var(--accent)
    shot(page, "payment-chosen-member")


def test_the_desk_asks_which_member_without_an_error_and_marks_the_chosen_one(page, live_server, browser_login,
                                                                               demo, shot):
    from nrcms.registry.models import Certificate

    cert = next(c for c in Certificate.objects.filter(status="valid").select_related("household")
                if c.household.members.filter(status="active").count() > 1)
    browser_login("desk_ganting")
    page.goto(f"{live_server.url}/desk/?certificate_number={cert.number}")
    prompt = page.get_by_test_id("choose-member")
    assert "请选择患者" in prompt.inner_text() and page.get_by_test_id("lookup-error").count() == 0
    assert not _red(prompt.evaluate("el => getComputedStyle(el).color"))
    page.get_by_test_id("member-choices").locator("a").nth(1).click()
    page.wait_for_url("**member=*")  # the click navigates: wait for the new page before counting
    chosen = page.locator("[data-testid=member-choices] a[aria-current=true]")
    chosen.wait_for()
    assert chosen.count() == 1 and chosen.inner_text() in page.get_by_test_id("member-card").inner_text()
    assert not _red(chosen.evaluate("el => getComputedStyle(el).color"))
    assert chosen.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(219, 233, 247)"  # #dbe9f7
    shot(page, "desk-chosen-member")

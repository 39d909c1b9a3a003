"""The reviewer looks into a settlement: from the home page's to-do list and the menu to the search, a filter
by the demo's reversed settlement's patient, the totals, then the detail with its explanation and history.
The desk's daily list as it prints. Screenshots for a person to look at."""

import pytest
from playwright.sync_api import expect

from nrcms.core.money import format_yuan

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_reviewer_searches_and_opens_a_settlement(page, live_server, browser_login, shot):
    from nrcms.claims.models import Settlement, SettlementKind

    reversal = Settlement.objects.filter(kind=SettlementKind.REVERSAL).select_related(
        "reverses", "episode__person").first()
    assert reversal is not None, "the demo reverses one settlement"
    original = reversal.reverses
    browser_login("reviewer")
    todo = page.get_by_test_id("home-todo")
    assert "待审核的月结算单" in todo.inner_text()
    shot(page, "h8-reviewer-home-todo")
    page.get_by_role("link", name="结算查询").first.click()
    page.wait_for_url("**/settlements/")
    page.fill("input[name=q]", reversal.episode.person.id_number)
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**/settlements/?q=*")
    table = page.get_by_test_id("settlement-table").inner_text()
    assert original.number in table and reversal.number in table
    totals = page.get_by_test_id("settlement-totals").inner_text()
    rows = Settlement.objects.filter(episode__person=reversal.episode.person)
    assert format_yuan(sum(s.fund_total for s in rows)) in totals
    shot(page, "h8-settlement-search")
    page.get_by_role("link", name=original.number).first.click()
    page.wait_for_url(f"**/settlements/{original.number}/")
    expect(page.get_by_test_id("settlement-status")).to_have_text("已冲正")
    history = page.get_by_test_id("settlement-history").inner_text()
    assert reversal.number in history and reversal.reason in history
    explanation = page.get_by_test_id("explanation").inner_text()
    assert original.result["lines"][0]["text"] in explanation
    assert page.get_by_test_id("voucher-link").is_visible()
    shot(page, "h8-settlement-detail")


def test_the_desk_prints_its_daily_list(page, live_server, browser_login, shot):
    from django.utils import timezone

    from nrcms.claims.models import Settlement

    settlement = (Settlement.objects.filter(episode__facility__code="H610125001").order_by("-settled_at").first())
    day = timezone.localtime(settlement.settled_at).date()
    browser_login("desk_county")
    page.goto(f"{live_server.url}/desk/daily/?date={day}")
    assert settlement.number in page.get_by_test_id("daily-table").inner_text()
    assert "合计" in page.get_by_test_id("daily-totals").inner_text()
    shot(page, "h8-desk-daily")
    page.emulate_media(media="print")
    assert not page.get_by_test_id("daily-form").is_visible()
    shot(page, "h8-desk-daily-print")

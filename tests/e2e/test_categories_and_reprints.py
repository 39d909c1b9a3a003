"""A township clerk ends a person's identity category on the person page; a desk reprints an earlier voucher
of a patient settled twice and gets that settlement's year-to-date figures."""

import datetime as dt

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_township_clerk_ends_a_category_on_the_person_page(page, live_server, browser_login, shot):
    from nrcms.registry.models import PersonCategory

    browser_login("ganting")
    row = (PersonCategory.objects.held_on(dt.date.today()).filter(person__household__region__code__startswith="610125100",
                                                                  person__status="active")
           .select_related("person").order_by("id").first())
    assert row is not None, "the demo gives some people in 甘亭镇 a category"
    page.goto(f"{live_server.url}/registry/persons/{row.person_id}/")
    table = page.get_by_test_id("categories")
    assert "现行" in table.inner_text()
    label = row.get_category_display()
    page.get_by_label(f"{label}终止日期（最后享受的一天）").fill("2026-04-30")
    shot(page, "person-category-before-end")
    page.get_by_label(f"{label}终止原因").fill("2026 年 4 月起停发")
    table.locator("tr", has_text=label).get_by_role("button", name="终止").click()
    expect(page.locator("body")).to_contain_text(f"已终止 {row.person.name} 的{label}认定（2026-04-30 为最后一天）")
    assert "已终止" in page.get_by_test_id("categories").inner_text()
    shot(page, "person-category-ended")
    row.refresh_from_db()
    assert row.valid_to == dt.date(2026, 4, 30)


def test_desk_reprints_an_earlier_voucher_with_its_own_year_to_date(page, live_server, browser_login):
    from pathlib import Path

    from django.db.models import Count

    from nrcms.claims.models import Settlement

    desk = browser_login("desk_county")
    twice = (Settlement.objects.filter(episode__facility=desk.facility, kind="settlement", status="active",
                                       episode__kind="inpatient")
             .values("episode__person_id").annotate(n=Count("id")).filter(n__gte=2).order_by("episode__person_id")
             .first())
    assert twice is not None, "the demo's registered-poor patient is admitted twice at the county hospital"
    first = (Settlement.objects.filter(episode__person_id=twice["episode__person_id"], kind="settlement",
                                       episode__kind="inpatient").order_by("pk").first())
    response = page.request.get(f"{live_server.url}/desk/settlements/{first.pk}/voucher.pdf")
    assert response.status == 200 and response.body()[:5] == b"%PDF-"
    artifacts = Path(__file__).resolve().parents[2] / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "voucher-reprint-first.pdf").write_bytes(response.body())
    from nrcms.claims.models import PersonYear
    from nrcms.claims.voucher import voucher_context

    year = PersonYear.objects.get(person_id=first.episode.person_id, scheme_year=first.episode.scheme_year)
    assert year.admissions >= 2 and voucher_context(first)["year"]["admissions"] == 1

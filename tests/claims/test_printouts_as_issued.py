"""A reprinted voucher says what the original said: the year-to-date totals, the identity categories, the
certificate, head and address as they stood when the settlement (or reversal) was issued."""

import datetime as dt
from decimal import Decimal

from claims_factory import admitted
from django.template.loader import render_to_string

from nrcms.claims.models import Settlement
from nrcms.claims.settlement import settlement_reverse, settlement_settle
from nrcms.claims.voucher import categories_label, voucher_context
from nrcms.core.money import format_yuan
from nrcms.registry.enrollment import certificate_reissue
from nrcms.registry.models import PersonCategory
from nrcms.registry.people import person_category_end, person_category_grant

JUNE = {"admit": dt.date(2026, 6, 1), "discharge": dt.date(2026, 6, 11)}


def _two_settlements(demo, person):
    desk = demo["desk_county"]
    a, _ = settlement_settle(actor=desk, episode=admitted(desk, person, serial="ZY-A"))
    b, _ = settlement_settle(actor=desk, episode=admitted(desk, person, serial="ZY-B", **JUNE))
    return a, b


def test_reprinting_an_earlier_voucher_after_a_later_settlement_shows_its_own_year_to_date(demo, family):
    a, b = _two_settlements(demo, family.head)
    a_ctx = voucher_context(a)
    assert a_ctx["year"]["admissions"] == 1
    assert a_ctx["year"]["basic_paid"] == a.basic and a_ctx["year"]["inpatient_cost"] == a.total_cost
    assert a_ctx["paid_in_year"] == a.fund_total
    b_ctx = voucher_context(b)
    assert b_ctx["year"]["admissions"] == 2 and b_ctx["year"]["basic_paid"] == a.basic + b.basic
    assert b_ctx["paid_in_year"] == a.fund_total + b.fund_total
    html = render_to_string("claims/voucher.html", a_ctx)
    y = format_yuan
    assert f"住院 1 次，住院总费用 {y(a.total_cost)} 元，基本医疗补偿 {y(a.basic)} 元，各项补偿合计 {y(a.fund_total)} 元" in html


def test_a_reversal_voucher_shows_the_totals_after_the_reversal_and_the_original_still_its_own(demo, family):
    a, b = _two_settlements(demo, family.head)
    reversal = settlement_reverse(actor=demo["desk_county"], settlement=a, reason="漏录出院带药")
    r_ctx = voucher_context(reversal)
    assert r_ctx["year"]["admissions"] == 1 and r_ctx["year"]["basic_paid"] == b.basic
    assert r_ctx["paid_in_year"] == b.fund_total  # A + B − A
    a.refresh_from_db()
    a_ctx = voucher_context(a)
    assert a_ctx["year"]["admissions"] == 1 and a_ctx["paid_in_year"] == a.fund_total


def test_a_reprint_keeps_the_certificate_head_and_categories_of_the_day_it_was_issued(demo, family):
    a, _ = settlement_settle(actor=demo["desk_county"], episode=admitted(demo["desk_county"], family.head))
    clerk = demo["ganting"]
    new = certificate_reissue(actor=clerk, household=family.household, reason="遗失")
    # granted afterwards, back-dated before the care: the settlement did not apply it, so the voucher doesn't say it
    person_category_grant(actor=clerk, person=family.head, category="dibao", valid_from=dt.date(2025, 1, 1),
                          authority="民政低保证 2026-补-01")
    ctx = voucher_context(a)
    assert ctx["holder"]["certificate"] == family.certificate.number != new.number
    assert ctx["holder"]["head"] == family.head.name and "****" in ctx["holder"]["head_id"]
    assert ctx["categories"] == "一般"


def test_a_voucher_issued_before_particulars_were_stored_falls_back_to_what_can_be_read(demo, family):
    a, b = _two_settlements(demo, family.head)
    Settlement.objects.filter(pk__in=[a.pk, b.pk]).update(issued=None)
    a.refresh_from_db()
    ctx = voucher_context(a)
    assert ctx["holder"]["certificate"] == family.certificate.number and ctx["year"]["admissions"] == 1


def test_a_category_ended_before_the_care_is_neither_applied_nor_printed(demo, family):
    clerk = demo["ganting"]
    row = person_category_grant(actor=clerk, person=family.spouse, category="registered_poor",
                                valid_from=dt.date(2025, 1, 1), authority="扶贫办建档 2025-17")
    person_category_end(actor=clerk, category=row, valid_to=dt.date(2026, 4, 30), reason="2026 年 4 月脱贫退出")
    desk = demo["desk_county"]
    s, _ = settlement_settle(actor=desk, episode=admitted(desk, family.spouse))  # care in May
    assert s.inputs["categories"] == [] and s.safety_net == Decimal("0.00")
    assert categories_label(s.episode) == "一般" and voucher_context(s)["categories"] == "一般"


def test_a_category_held_on_the_day_of_care_is_printed_even_if_it_ended_since(demo, family):
    clerk = demo["ganting"]
    row = person_category_grant(actor=clerk, person=family.spouse, category="registered_poor",
                                valid_from=dt.date(2025, 1, 1), authority="扶贫办建档 2025-17")
    s, _ = settlement_settle(actor=demo["desk_county"], episode=admitted(demo["desk_county"], family.spouse))
    person_category_end(actor=clerk, category=row, valid_to=dt.date(2026, 6, 30), reason="脱贫退出")
    assert PersonCategory.objects.get(pk=row.pk).valid_to == dt.date(2026, 6, 30)
    assert voucher_context(s)["categories"] == "建档立卡贫困户" == categories_label(s.episode)

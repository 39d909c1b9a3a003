"""The printed monthly statement: its settlements and amounts are those copied when it was generated, whatever
is reversed later; what review adds shows on the next print, dated, and an unapproved print says it is not final."""

import datetime as dt

import pytest
from django.template.loader import render_to_string
from payments_factory import at, reversed_, settled

from nrcms.facilities.models import Facility
from nrcms.payments.printout import statement_context
from nrcms.payments.services import (
    statement_approve,
    statement_deduct,
    statement_generate,
    statement_review_start,
)

pytestmark = pytest.mark.django_db


def _print(statement) -> tuple[dict, str]:
    statement.refresh_from_db()
    ctx = statement_context(statement)
    return ctx, render_to_string("payments/statement_print.html", ctx)


def test_a_reprint_after_a_later_reversal_lists_the_same_settlements_and_amounts(demo, patients):
    desk, p = demo["desk_county"], patients.people
    a = settled(desk, p[0], "ZY-PA", at(2026, 9, 3))
    b = settled(desk, p[1], "ZY-PB", at(2026, 9, 10))
    facility = Facility.objects.get(code="H610125001")
    september, _ = statement_generate(actor=demo["reviewer"], facility=facility, month="2026-09")
    before, _ = _print(september)
    reversal = reversed_(desk, a, at(2026, 10, 8))  # reversed in October: lands on October's statement
    after, html = _print(september)
    assert [line.settlement.number for line in after["lines"]] == [a.number, b.number]
    assert [line.settlement.number for line in before["lines"]] == [a.number, b.number]
    assert (after["st"].fund_total, after["net"]) == (a.fund_total + b.fund_total, a.fund_total + b.fund_total)
    assert after["net_capital"] == before["net_capital"]
    assert reversal.number not in html and a.number in html


def test_an_unapproved_print_says_so_and_dates_each_deduction(demo, patients):
    desk, p = demo["desk_county"], patients.people
    a = settled(desk, p[0], "ZY-PA", at(2026, 9, 3))
    facility = Facility.objects.get(code="H610125001")
    statement, _ = statement_generate(actor=demo["reviewer"], facility=facility, month="2026-09")
    _, first = _print(statement)
    assert "本单尚未审定（打印时状态：已生成待审核）" in first
    statement = statement_review_start(actor=demo["reviewer"], statement=statement)
    deduction = statement_deduct(actor=demo["reviewer"], statement=statement, kind="loss", base_amount="100.00",
                                 multiplier="1.5", reason="超标准收取床位费", settlement_number=a.number)
    ctx, second = _print(statement)
    day = deduction.created_at.astimezone(dt.timezone(dt.timedelta(hours=8))).date().isoformat()
    assert "本单尚未审定（打印时状态：审核中）" in second and f"<td>{day}</td>" in second
    assert ctx["net"] == a.fund_total - deduction.amount
    statement_approve(actor=demo["director"], statement=statement)
    ctx, approved = _print(statement)
    assert "本单尚未审定" not in approved and ctx["net"] == a.fund_total - deduction.amount
    assert "审定应拨付" in approved

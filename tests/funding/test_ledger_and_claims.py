import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings
from hypothesis import strategies as st

from nrcms.core.errors import Forbidden, ValidationFailed
from nrcms.funding import ledger
from nrcms.funding.checks import books_check
from nrcms.funding.models import JournalLine
from nrcms.funding.selectors import collection_progress, subsidy_claim
from nrcms.funding.services import contribution_record, subsidy_receivable_post, subsidy_receive

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 11, 2)


def test_an_unbalanced_entry_is_refused_and_writes_nothing(db):
    lines = JournalLine.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        ledger.post(date=DAY, kind="test", description="x", lines=[
            (ledger.account("1001"), Decimal("10.00"), Decimal("0")),
            (ledger.account("3101"), Decimal("0"), Decimal("9.99"))])
    assert exc.value.code == "unbalanced" and JournalLine.objects.count() == lines


def test_amounts_finer_than_a_fen_are_refused(db):
    with pytest.raises(ValidationFailed):
        ledger.post(date=DAY, kind="test", description="x", lines=[
            (ledger.account("1001"), Decimal("0.001"), Decimal("0")),
            (ledger.account("3101"), Decimal("0"), Decimal("0.001"))])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=12))
def test_any_sequence_of_postings_keeps_debits_equal_to_credits(amounts):
    from django.db import transaction

    with transaction.atomic():
        start = {code: ledger.balance(code) for code in ("1001", "3101", "3103")}
        for fen in amounts:
            value = Decimal(fen) / 100
            family = (Decimal(fen // 3) / 100)
            ledger.post(date=DAY, kind="test", description="x", lines=[
                (ledger.account("1001"), value, Decimal("0")), (ledger.account("3101"), Decimal("0"), value - family),
                (ledger.account("3103"), Decimal("0"), family)])
        assert books_check().ok
        delta = {code: ledger.balance(code) - start[code] for code in start}
        assert delta["1001"] == delta["3101"] + delta["3103"] == sum(Decimal(f) / 100 for f in amounts)
        transaction.set_rollback(True)


def test_subsidy_claim_is_enrolled_times_standard(demo, household):
    claim = subsidy_claim(scheme_year=2026)
    enrolled = claim["enrolled"]
    assert enrolled >= 3
    assert claim["totals"] == {"central": Decimal("400") * enrolled, "provincial": Decimal("140") * enrolled,
                               "county": Decimal("100") * enrolled}


def test_finance_posts_subsidies_due_once_and_then_only_the_difference(demo, household):
    with pytest.raises(Forbidden):
        subsidy_receivable_post(actor=demo["ganting"], scheme_year=2026)
    entries = subsidy_receivable_post(actor=demo["finance"], scheme_year=2026)
    assert len(entries) == 3  # the demo posted before this household enrolled: only the difference now
    assert sum(line.debit for line in entries[0].lines.all()) == Decimal("400") * 3
    assert subsidy_receivable_post(actor=demo["finance"], scheme_year=2026) == []
    due = subsidy_claim(scheme_year=2026)["totals"]["central"]
    assert ledger.balance("1201") == due
    fund = ledger.balance("1001")
    subsidy_receive(actor=demo["finance"], level="central", amount=str(due), received_on=DAY, reference="国库2026-001")
    assert ledger.balance("1201") == Decimal("0.00") and ledger.balance("1001") - fund == due


def test_ledger_check_passes_on_good_books_and_fails_on_a_tampered_line(demo, household):
    contribution_record(actor=demo["ganting"], household=household, scheme_year=2026, payer_kind="self", paid_on=DAY)
    subsidy_receivable_post(actor=demo["finance"], scheme_year=2026)
    call_command("ledger_check", year=2026)
    tampered = JournalLine.objects.filter(account__code="1001", debit__gt=0).first()
    JournalLine.objects.filter(pk=tampered.pk).update(debit=tampered.debit + Decimal("0.01"))
    with pytest.raises(CommandError, match="借贷不平"):
        call_command("ledger_check", year=2026)


def test_collection_progress_by_village_and_scoped_to_the_clerk(demo, household):
    before = collection_progress(actor=demo["ganting"], scheme_year=2026)
    contribution_record(actor=demo["ganting"], household=household, scheme_year=2026, payer_kind="self", paid_on=DAY,
                        persons=household.people[:2])
    data = collection_progress(actor=demo["ganting"], scheme_year=2026)
    old = next(r for r in before["villages"] if r["code"] == "610125100201")
    village = next(r for r in data["villages"] if r["code"] == "610125100201")
    assert village["paid"] - old["paid"] == 2 and village["amount"] - old["amount"] == Decimal("760.00")
    assert village["enrolled"] == old["enrolled"] >= 3
    assert {t["name"] for t in data["townships"]} == {"甘亭镇"}
    assert {t["name"] for t in collection_progress(actor=demo["yuxia"], scheme_year=2026)["townships"]} == {"余下镇"}
    assert collection_progress(actor=demo["donghan"], scheme_year=2026)["villages"][0]["code"] == "610125100201"

"""年终结账 of the family accounts across two years: a household's 2026 balance is carried into 2027, the 2027
allocation adds to it, and the desk spends both; the close is dated, audited, refused a second time, and the
books stay balanced."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from nrcms.accounts.models import AuditEntry
from nrcms.claims.desk_admission import AdmissionInput, admission_register
from nrcms.claims.desk_charges import ChargeInput, charges_upload
from nrcms.claims.desk_lookup import member_lookup
from nrcms.claims.settlement import settlement_reverse, settlement_settle
from nrcms.core.errors import Conflict, Forbidden, ValidationFailed
from nrcms.funding import ledger
from nrcms.funding.checks import books_check
from nrcms.funding.models import JournalEntry, JournalLine, YearClose
from nrcms.funding.services import contribution_record, contribution_standard_set
from nrcms.funding.year_close import CARRY_FORWARD, year_close, year_close_preview
from nrcms.registry.models import Certificate, Enrollment

pytestmark = pytest.mark.django_db

SCHEMES = Path(__file__).resolve().parents[2] / "nrcms" / "policy" / "schemes"
VISIT_100 = [("5101-ZL0002", "1", "10", "10.00"), ("5101-YP0001", "2", "45", "90.00")]  # all in policy
VISIT_10 = [("5101-ZL0002", "1", "10", "10.00")]


@pytest.fixture
def clock(monkeypatch):
    """Set the county's clock: clock(2027, 1, 5) makes timezone.now() that day at 10:00 Beijing time."""

    def set_to(*ymd):
        moment = timezone.make_aware(dt.datetime(*ymd, 10, 0))
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_to


@pytest.fixture
def family_account_scheme(scheme_file):
    scheme_file(SCHEMES / "huxian-2005.yaml")  # outpatient: family account only


@pytest.fixture
def finance(demo):
    return demo["finance"]


def standard(year):
    return contribution_standard_set(actor=None, scheme_year=year, effective_from=dt.date(year - 1, 9, 1),
                                     personal_amount="380", central_subsidy="400", provincial_subsidy="140",
                                     county_subsidy="100", family_account_amount="20", authority="测试标准")


def visit(desk, person, serial, day, lines):
    episode, _ = admission_register(actor=desk, data=AdmissionInput(
        serial=serial, kind="outpatient", id_number=person.id_number, admission_date=day))
    result = charges_upload(actor=desk, episode=episode, lines=[
        ChargeInput(line_no=n, facility_item_code=code, item_name="x", charged_on=day, quantity=Decimal(q),
                    unit_price=Decimal(p), amount=Decimal(a)) for n, (code, q, p, a) in enumerate(lines, start=1)])
    assert result.ok, result.errors
    return episode


def pay_year(demo, household, year, paid_on):
    return contribution_record(actor=demo["ganting"], household=household, scheme_year=year, payer_kind="self",
                               paid_on=paid_on)


def counts():
    return (JournalEntry.objects.count(), JournalLine.objects.count(), YearClose.objects.count(),
            AuditEntry.objects.filter(action="family_account.year_close").count())


def test_a_balance_of_2026_is_carried_into_2027_and_spent_with_the_2027_allocation(
        demo, household, clock, family_account_scheme, finance):
    desk = demo["desk_ganting"]
    Certificate.objects.create(household=household, number="61012599990077")
    account = ledger.family_account_of(household)
    # 2026: three members pay, 20.00 each into the family account; one 10.00 visit spends part of it
    clock(2026, 3, 1)
    pay_year(demo, household, 2026, dt.date(2026, 3, 1))
    assert ledger.balance(account) == Decimal("60.00")
    clock(2026, 5, 10)
    s2026, _ = settlement_settle(actor=desk, episode=visit(desk, household.people[0], "MZ26", dt.date(2026, 5, 10),
                                                           VISIT_10))
    assert s2026.family_account == Decimal("10.00") and ledger.balance(account) == Decimal("50.00")

    # early January 2027: close 2026 (Dec 31 by default, the year being over)
    clock(2027, 1, 5)
    preview = year_close_preview(year=2026)
    assert preview.closing_date == dt.date(2026, 12, 31)
    mine = [b for b in preview.balances if b.household_number == household.number]
    assert [b.balance for b in mine] == [Decimal("50.00")]
    close = year_close(year=2026, actor=finance, expect_total=preview.total)
    assert (close.closing_date, close.households, close.total) == (dt.date(2026, 12, 31), preview.households,
                                                                    preview.total)
    # the 2026 books end at zero, 2027 opens with 50.00, 3109 nets to zero; the household can still spend 50.00
    assert ledger.balance(account, until=dt.date(2026, 12, 31)) == Decimal("0.00")
    assert ledger.balance(account, until=dt.date(2027, 1, 1)) == Decimal("50.00")
    assert ledger.balance(CARRY_FORWARD, until=dt.date(2026, 12, 31)) == preview.total
    assert ledger.balance(CARRY_FORWARD) == Decimal("0.00")
    assert ledger.family_account_balance(household) == Decimal("50.00")
    kinds = dict(JournalEntry.objects.filter(idempotency_key__endswith=household.number,
                                             kind__startswith="family_account_").values_list("kind", "date"))
    assert kinds == {"family_account_close": dt.date(2026, 12, 31), "family_account_open": dt.date(2027, 1, 1)}
    audit = AuditEntry.objects.get(action="family_account.year_close")
    assert audit.actor_username == "finance" and audit.object_id == str(close.pk)
    assert audit.after["total"] == format(preview.total, "f") and audit.after["closing_date"] == "2026-12-31"
    assert books_check().ok

    # 2027: the members enroll and pay again — 60.00 more on top of the 50.00 carried
    standard(2027)
    for p in household.people:
        Enrollment.objects.create(person=p, household=household, scheme_year=2027)
    clock(2027, 1, 15)
    pay_year(demo, household, 2027, dt.date(2027, 1, 15))
    clock(2027, 2, 1)
    card = member_lookup(actor=desk, on=dt.date(2027, 2, 1), id_number=household.people[1].id_number)
    assert card.scheme_year == 2027 and card.family_account_balance == Decimal("110.00")
    # the desk spends up to the sum of both: 100.00, then the last 10.00, then nothing
    first, _ = settlement_settle(actor=desk, episode=visit(desk, household.people[1], "MZ27-1",
                                                           dt.date(2027, 2, 1), VISIT_100))
    second, _ = settlement_settle(actor=desk, episode=visit(desk, household.people[0], "MZ27-2",
                                                            dt.date(2027, 2, 1), VISIT_100))
    third, _ = settlement_settle(actor=desk, episode=visit(desk, household.people[2], "MZ27-3",
                                                           dt.date(2027, 2, 1), VISIT_10))
    assert (first.family_account, second.family_account, third.family_account) == (
        Decimal("100.00"), Decimal("10.00"), Decimal("0.00"))
    assert (second.self_pay, third.self_pay) == (Decimal("90.00"), Decimal("10.00"))
    assert ledger.balance(account) == Decimal("0.00") and books_check(2027).ok


def test_closing_twice_is_refused_and_changes_nothing(demo, household, clock, finance, tmp_path):
    clock(2026, 3, 1)
    pay_year(demo, household, 2026, dt.date(2026, 3, 1))
    clock(2027, 1, 5)
    year_close(year=2026, actor=finance, idempotency_key="close-2026")
    before = counts()
    with pytest.raises(Conflict) as refused:
        year_close(year=2026, actor=finance)
    assert refused.value.code == "already_closed" and "不能重复结账" in refused.value.message
    with pytest.raises(CommandError, match="不能重复结账"):
        call_command("year_close", year=2026)
    # a retry of the same request (same key) returns the first close, writing nothing
    assert year_close(year=2026, actor=finance, idempotency_key="close-2026").scheme_year == 2026
    assert counts() == before and books_check().ok


def test_a_year_not_yet_ended_is_refused_unless_the_closing_date_is_given(demo, household, clock, finance):
    clock(2026, 3, 1)
    pay_year(demo, household, 2026, dt.date(2026, 3, 1))
    clock(2026, 12, 20)
    with pytest.raises(ValidationFailed) as early:
        year_close(year=2026, actor=finance)
    assert early.value.field == "closing_date" and "尚未结束" in early.value.message
    for bad, what in [(dt.date(2026, 12, 20), "尚未结束"), (dt.date(2027, 1, 1), "不在 2026 年度内")]:
        with pytest.raises(ValidationFailed, match=what):
            year_close(year=2026, actor=finance, closing_date=bad)
    assert not YearClose.objects.exists()
    # explicitly dated, the day being over: the books close at the end of Dec 19 and reopen on Dec 20
    close = year_close(year=2026, actor=finance, closing_date=dt.date(2026, 12, 19))
    account = ledger.family_account_of(household)
    assert close.closing_date == dt.date(2026, 12, 19)
    assert ledger.balance(account, until=dt.date(2026, 12, 19)) == Decimal("0.00")
    assert ledger.balance(account, until=dt.date(2026, 12, 20)) == Decimal("60.00")


def test_years_close_in_order_and_only_finance_may_close(demo, household, clock, finance):
    clock(2027, 2, 1)
    with pytest.raises(Forbidden):
        year_close(year=2026, actor=demo["ganting"])
    year_close(year=2026, actor=finance)
    clock(2028, 1, 3)
    year_close(year=2027, actor=finance)
    YearClose.objects.filter(scheme_year=2026).delete()  # pretend 2026 had never been closed
    with pytest.raises(ValidationFailed, match="2027 年度已结账，不能再结账更早的 2026 年度"):
        year_close(year=2026, actor=finance)


def test_a_changed_balance_after_the_preview_is_refused(demo, household, clock, finance):
    clock(2026, 3, 1)
    pay_year(demo, household, 2026, dt.date(2026, 3, 1))
    clock(2027, 1, 5)
    total = year_close_preview(year=2026).total
    with pytest.raises(Conflict, match="请重新预览"):
        year_close(year=2026, actor=finance, expect_total=total + Decimal("20.00"))
    assert not YearClose.objects.exists()


def test_after_the_close_settlements_of_the_closed_year_post_in_the_open_year_and_late_entries_move_forward(
        demo, household, clock, family_account_scheme, finance):
    """What a county office expects: a visit of late December settled in January is paid — from the carried
    balance, dated the day of settlement; its reversal too; a receipt typed in late with its December payment
    date is posted on the first open day, so the amounts carried at the close never change."""
    desk = demo["desk_ganting"]
    Certificate.objects.create(household=household, number="61012599990078")
    account = ledger.family_account_of(household)
    clock(2026, 3, 1)
    pay_year(demo, household, 2026, dt.date(2026, 3, 1))
    clock(2026, 12, 30)
    december = visit(desk, household.people[0], "MZ-DEC", dt.date(2026, 12, 30), VISIT_10)
    clock(2027, 1, 4)
    year_close(year=2026, actor=finance)
    carried = ledger.balance(account, until=dt.date(2027, 1, 1))
    assert carried == Decimal("60.00")
    s, _ = settlement_settle(actor=desk, episode=december)
    assert s.family_account == Decimal("10.00") and s.episode.scheme_year == 2026
    entry = JournalEntry.objects.get(source_id=str(s.pk), kind="settlement")
    assert entry.date == dt.date(2027, 1, 4)
    assert ledger.balance(account, until=dt.date(2026, 12, 31)) == Decimal("0.00")  # the closed year is untouched
    settlement_reverse(actor=desk, settlement=s, reason="患者退药")
    assert ledger.balance(account) == Decimal("60.00")
    # a late receipt for 2027 paid on Dec 28: the receipt keeps its date, the ledger posts it on Jan 1
    standard(2027)
    for p in household.people:
        Enrollment.objects.create(person=p, household=household, scheme_year=2027)
    receipt = pay_year(demo, household, 2027, dt.date(2026, 12, 28))
    posted = JournalEntry.objects.get(source_id=str(receipt.pk), kind="contribution")
    assert receipt.paid_on == dt.date(2026, 12, 28) and posted.date == dt.date(2027, 1, 1)
    assert "原日期 2026-12-28" in posted.description
    assert ledger.balance(account, until=dt.date(2026, 12, 31)) == Decimal("0.00")
    assert ledger.balance(account) == Decimal("120.00") and books_check().ok
    # entries that do not touch a family account keep their own date
    subsidy = ledger.post(date=dt.date(2026, 12, 29), kind="subsidy_received", description="测试",
                          lines=[(ledger.account(ledger.FUND_ACCOUNT), Decimal("1.00"), Decimal("0")),
                                 (ledger.account("1203"), Decimal("0"), Decimal("1.00"))])
    assert subsidy.date == dt.date(2026, 12, 29)


def test_the_cli_closes_with_progress_and_a_dry_run_writes_nothing(demo, household, clock, capsys, monkeypatch):
    from django.db import connections

    # run_from_argv closes every connection when the command ends: on PostgreSQL that would end the test's
    # transaction (SQLite's in-memory test database ignores it)
    monkeypatch.setattr(connections, "close_all", lambda: None)
    clock(2026, 3, 1)
    pay_year(demo, household, 2026, dt.date(2026, 3, 1))
    clock(2027, 1, 5)
    before = counts()
    from nrcms.cli import main

    main(["year", "close", "--year", "2026", "--dry-run"])  # `nrcms year close` names the year_close command
    assert "试运行" in capsys.readouterr().out and counts() == before
    call_command("year_close", year=2026, user="finance", authority="县合管办〔2027〕1号")
    out = capsys.readouterr()
    assert "已结账" in out.out and "年终结账" in out.err  # tqdm writes its bar to stderr
    close = YearClose.objects.get(scheme_year=2026)
    assert close.closed_by.username == "finance" and close.authority == "县合管办〔2027〕1号"
    assert AuditEntry.objects.get(action="family_account.year_close").authority == "县合管办〔2027〕1号"
    assert books_check().ok


def test_the_books_check_sees_a_close_that_does_not_match_its_entries(demo, household, clock, finance):
    clock(2026, 3, 1)
    pay_year(demo, household, 2026, dt.date(2026, 3, 1))
    clock(2027, 1, 5)
    close = year_close(year=2026, actor=finance)
    report = books_check()
    assert report.ok and any(f.startswith("2026 年度家庭账户结转") for f in report.facts)
    YearClose.objects.filter(pk=close.pk).update(total=close.total + Decimal("1.00"))
    assert any("与结转分录" in p for p in books_check().problems)
    # an entry slipped into the closed period behind ledger.post's back leaves a family account open on Dec 31
    late = JournalEntry.objects.create(date=dt.date(2026, 12, 15), kind="test", description="绕过 post 的分录")
    JournalLine.objects.bulk_create([
        JournalLine(entry=late, account=ledger.account(ledger.FUND_ACCOUNT), debit=Decimal("5.00")),
        JournalLine(entry=late, account=ledger.family_account_of(household), credit=Decimal("5.00"))])
    assert any("结账日余额不为零" in p for p in books_check().problems)

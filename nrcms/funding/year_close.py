"""年终结账 of the family accounts (家庭账户): each household's unspent balance rolls into the next year.

The close is one dated ledger operation. For every household whose family account is not zero on the closing
date (Dec 31 of the year unless the county names an earlier day), two entries of two lines each:

  closing entry, dated the closing date:         Dr 3102-户 / Cr 3109 家庭账户结转   (结转下年)
  opening entry, dated the day after:            Dr 3109 / Cr 3102-户                 (上年结转)

(the other way round for a negative balance). Each entry is balanced, 3109 nets to zero, and the household's
running balance — what the desk reads — is unchanged: the carried amount plus the next year's allocation is
what the household may spend. The family account's statement shows the year ending at zero and the new year
opening with the amount carried; balance(until=closing date) reads 0 and 3109 holds what was carried.

Rules:
  * a year is closed once: a second close is refused and changes nothing (a retry with the same idempotency
    key returns the first close); the unique year and the per-household entry keys hold even under a race;
  * a year not yet ended is refused unless the closing date is given explicitly, and the closing date must
    lie in the year and be over (before today) — balances of a day still running could change;
  * years close in order: an earlier year cannot be closed after a later one;
  * after the close nothing is posted to a family account on or before the closing date. Settlements are
    dated the day they are made, so a visit of the closed year settled afterwards is posted in the open year
    and spends the carried balance; a reversal likewise. An entry dated in the closed period (a receipt
    typed in late with its real payment date) is posted on the first open day, the original date named in
    its description: ledger.post does this, so the amounts carried never change after the close.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.services import require
from nrcms.core.errors import Conflict, ValidationFailed
from nrcms.core.money import ZERO

from . import ledger, summary
from .models import Account, JournalEntry, JournalLine, YearClose

CARRY_FORWARD = "3109"
BATCH = 2000  # households written per round trip (two entries and four lines each)


@dataclass(frozen=True)
class CloseBalance:
    account: Account
    household_number: str
    balance: Decimal


@dataclass(frozen=True)
class ClosePreview:
    year: int
    closing_date: dt.date
    balances: list[CloseBalance]

    @property
    def households(self) -> int:
        return len(self.balances)

    @property
    def total(self) -> Decimal:
        return sum((b.balance for b in self.balances), ZERO)

    @property
    def negative_households(self) -> int:
        return sum(1 for b in self.balances if b.balance < 0)


def close_of(year: int) -> YearClose | None:
    return YearClose.objects.select_related("closed_by").filter(scheme_year=year).first()


def _closing_date(year: int, closing_date: dt.date | None, today: dt.date) -> dt.date:
    if closing_date is None:
        if today <= dt.date(year, 12, 31):
            raise ValidationFailed(
                "year_not_ended", f"{year} 年度尚未结束（今天是 {today}），不能年终结账；"
                f"如确需提前结账，请明确填写结账日期（closing_date）", field="closing_date")
        return dt.date(year, 12, 31)
    if closing_date.year != year:
        raise ValidationFailed("invalid", f"结账日期 {closing_date} 不在 {year} 年度内", field="closing_date")
    if closing_date >= today:
        raise ValidationFailed("day_not_over", f"结账日期 {closing_date} 当天尚未结束（今天是 {today}），"
                               "余额还可能变动；结账日期须早于今天", field="closing_date")
    return closing_date


def _refuse_if_closed(year: int) -> None:
    done = close_of(year)
    if done is not None:
        who = done.closed_by.username if done.closed_by else "命令行"
        raise Conflict("already_closed", f"{year} 年度家庭账户已于 {timezone.localtime(done.closed_at):%Y-%m-%d %H:%M} "
                       f"由 {who} 结账（结账日期 {done.closing_date}，结转 {done.households} 户，合计 {done.total} 元），"
                       "不能重复结账", field="year")
    later = YearClose.objects.filter(scheme_year__gt=year).order_by("scheme_year").first()
    if later is not None:
        raise ValidationFailed("later_year_closed", f"{later.scheme_year} 年度已结账，不能再结账更早的 {year} 年度",
                               field="year")


def year_close_preview(*, year: int, closing_date: dt.date | None = None) -> ClosePreview:
    """What the close would carry: every family account not zero on the closing date. Writes nothing."""
    today = timezone.localdate()
    _refuse_if_closed(year)
    closing = _closing_date(year, closing_date, today)
    rows = (JournalLine.objects.filter(account__household__isnull=False, entry__date__lte=closing)
            .values("account_id", "account__code").annotate(d=Sum("debit"), c=Sum("credit"))
            .order_by("account__code"))
    accounts = {a.pk: a for a in Account.objects.filter(household__isnull=False)}
    balances = []
    for r in rows:
        amount = ledger.fen_sum(r["c"]) - ledger.fen_sum(r["d"])  # a fund account: credit-normal
        if amount:
            balances.append(CloseBalance(accounts[r["account_id"]], r["account__code"].removeprefix("3102-"), amount))
    return ClosePreview(year, closing, balances)


@transaction.atomic
def year_close(*, year: int, actor: User | None, closing_date: dt.date | None = None, authority: str = "",
               expect_total: Decimal | None = None, idempotency_key: str | None = None,
               progress: Callable[[int], None] | None = None) -> YearClose:
    """Close the year's family accounts: carry each household's balance on the closing date into the next
    year. actor None: the command line, run by whoever may run it on the server. expect_total: the total the
    user confirmed on the preview — if the books moved since, refuse rather than carry another figure."""
    if actor is not None:
        require(actor, Cap.FUND_YEAR_CLOSE)
    if idempotency_key:
        earlier = YearClose.objects.filter(idempotency_key=idempotency_key).first()
        if earlier is not None:
            return earlier
    preview = year_close_preview(year=year, closing_date=closing_date)
    if expect_total is not None and preview.total != expect_total:
        raise Conflict("changed", f"确认后家庭账户余额有变动：预览合计 {expect_total} 元，现为 {preview.total} 元，"
                       "请重新预览后再确认", field="expect_total")
    authority = (authority or "").strip()[:200] or f"{year} 年度年终结账，家庭账户余额结转下年"
    try:
        with transaction.atomic():  # the unique year: a second close waits here for the first, then fails
            close = YearClose.objects.create(
                scheme_year=year, closing_date=preview.closing_date, households=preview.households,
                total=preview.total, negative_households=preview.negative_households, authority=authority,
                idempotency_key=idempotency_key, closed_by=actor)
    except IntegrityError as exc:
        _refuse_if_closed(year)
        raise Conflict("already_closed", f"{year} 年度家庭账户正在或已经结账", field="year") from exc
    clearing = ledger.account(CARRY_FORWARD)
    done = 0
    for start in range(0, preview.households, BATCH):
        batch = preview.balances[start:start + BATCH]
        _write_batch(close, batch, clearing, actor)
        done += len(batch)
        if progress is not None:
            progress(done)
    audit_record(actor=actor, action="family_account.year_close", obj=close, authority=authority,
                 after={"scheme_year": year, "closing_date": preview.closing_date, "households": preview.households,
                        "total": preview.total, "negative_households": preview.negative_households,
                        "opening_date": preview.closing_date + dt.timedelta(days=1)})
    return close


def _write_batch(close: YearClose, batch: list[CloseBalance], clearing: Account, actor: User | None) -> None:
    """Two entries per household, written in bulk (the lines are balanced by construction)."""
    year, closing = close.scheme_year, close.closing_date
    opening = closing + dt.timedelta(days=1)
    entries = []
    for b in batch:
        entries.append(JournalEntry(
            date=closing, kind="family_account_close", created_by=actor, source_type="funding.yearclose",
            source_id=str(close.pk), idempotency_key=f"year-close-{year}-{b.household_number}",
            description=f"{year} 年度家庭账户结转下年（户 {b.household_number}）"))
        entries.append(JournalEntry(
            date=opening, kind="family_account_open", created_by=actor, source_type="funding.yearclose",
            source_id=str(close.pk), idempotency_key=f"year-open-{year}-{b.household_number}",
            description=f"家庭账户上年（{year} 年度）结转（户 {b.household_number}）"))
    JournalEntry.objects.bulk_create(entries)
    if any(e.pk is None for e in entries):  # a backend that does not return keys from a bulk insert
        keys = [e.idempotency_key for e in entries]
        ids = dict(JournalEntry.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", "pk"))
        for e in entries:
            e.pk = e.id = ids[e.idempotency_key]
    lines = []
    for n, b in enumerate(batch):
        close_entry, open_entry = entries[2 * n], entries[2 * n + 1]
        amount = abs(b.balance)
        # closing: the family account gives its balance to 3109; opening: 3109 gives it back
        family_side, clearing_side = ((amount, ZERO), (ZERO, amount)) if b.balance > 0 else ((ZERO, amount), (amount, ZERO))
        lines += [JournalLine(entry=close_entry, account=b.account, debit=family_side[0], credit=family_side[1]),
                  JournalLine(entry=close_entry, account=clearing, debit=clearing_side[0], credit=clearing_side[1]),
                  JournalLine(entry=open_entry, account=clearing, debit=clearing_side[1], credit=clearing_side[0]),
                  JournalLine(entry=open_entry, account=b.account, debit=family_side[1], credit=family_side[0])]
    JournalLine.objects.bulk_create(lines)
    summary.record_lines(lines)  # the day summary, in the close's transaction


def close_facts_and_problems() -> tuple[list[str], list[str]]:
    """For the books check: 3109 is back at zero, and each year's closing entries carry what its close says."""
    facts, problems = [], []
    left = ledger.balance(CARRY_FORWARD)
    if left:
        problems.append(f"家庭账户结转科目 {CARRY_FORWARD} 余额 {left} 不为零")
    for close in YearClose.objects.order_by("scheme_year"):
        sums = (JournalLine.objects.filter(entry__kind="family_account_close", entry__source_id=str(close.pk),
                                           account__code=CARRY_FORWARD).aggregate(d=Sum("debit"), c=Sum("credit")))
        carried = ledger.fen_sum(sums["c"]) - ledger.fen_sum(sums["d"])
        facts.append(f"{close.scheme_year} 年度家庭账户结转 {close.households} 户，合计 {close.total}，分录 {carried}")
        if carried != close.total:
            problems.append(f"{close.scheme_year} 年度家庭账户结转记录合计 {close.total} 与结转分录 {carried} 不符")
        # after the close every family account reads zero on the closing date; one that does not took an entry
        # into the closed period after the close read its balance (written around ledger.post, or in a race)
        left = (JournalLine.objects.filter(account__household__isnull=False, entry__date__lte=close.closing_date)
                .values("account__code").annotate(d=Sum("debit"), c=Sum("credit")))
        open_accounts = [r["account__code"] for r in left if ledger.fen_sum(r["c"]) != ledger.fen_sum(r["d"])]
        if open_accounts:
            problems.append(f"{close.scheme_year} 年度结账后仍有 {len(open_accounts)} 个家庭账户在结账日余额不为零"
                            f"（如 {open_accounts[0]}），结账后有分录记入了已结账期间")
    return facts, problems

"""The fund's side of the statistics, read from the double-entry ledger (funding.ledger): income and spending of
the fund accounts (pooled fund 3101, family accounts 3102-户, risk reserve 3103) and the special bank account
(1001) month by month. The fund is pooled county-wide, so these figures exist for the county only; the family
accounts can be told apart by the household's region."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, IntegerField, Q, Sum, Value, When

from nrcms.core.money import ZERO
from nrcms.funding.ledger import FUND_ACCOUNT, fen_sum
from nrcms.funding.models import AccountKind, JournalLine, LedgerDaySummary
from nrcms.funding.summary import from_fen

SPENDING_ENTRY_KINDS = ("settlement", "settlement_reversal", "manual_claim", "manual_claim_reversal",
                        "violation_deduction", "family_doctor_fee")
INCOME_KINDS = Q(entry__kind__startswith="contribution") | Q(entry__kind__startswith="subsidy_due")
SPENDING_KINDS = Q(entry__kind__in=SPENDING_ENTRY_KINDS)
# 3109 (year-end carry-forward of the family accounts) is a fund account too: on the closing day it holds what the
# family accounts carry into the next year, and nets to zero the day after.
FUND_LINES = Q(account__kind=AccountKind.FUND)
# The same selections on the ledger's day summary (funding.LedgerDaySummary), which every reader below sums
# instead of the lines: it holds the lines' debit and credit per day, account group and entry kind, in fen.
S_INCOME = Q(entry_kind__startswith="contribution") | Q(entry_kind__startswith="subsidy_due")
S_SPENDING = Q(entry_kind__in=SPENDING_ENTRY_KINDS)
S_FUND = Q(account_kind=AccountKind.FUND)


def _sum(q: Q) -> tuple[Decimal, Decimal]:
    row = JournalLine.objects.filter(q).aggregate(d=Sum("debit"), c=Sum("credit"))
    return fen_sum(row["d"]), fen_sum(row["c"])


def _period(start: dt.date, end: dt.date) -> Q:
    return Q(entry__date__range=(start, end))


def _summary_sum(q: Q) -> tuple[Decimal, Decimal]:
    row = LedgerDaySummary.objects.filter(q).aggregate(d=Sum("debit_fen"), c=Sum("credit_fen"))
    return from_fen(row["d"]), from_fen(row["c"])


def _days(start: dt.date, end: dt.date) -> Q:
    return Q(day__range=(start, end))


def _codes(prefix: str) -> Q:
    """The account codes starting with `prefix`, as summary groups: a group is a code, or the prefix up to the
    dash of the per-household and per-facility accounts (3102-, 2201-), so a prefix may not reach past a dash."""
    if "-" in prefix and not prefix.endswith("-"):
        raise ValueError(f"科目前缀 {prefix} 超出了汇总的科目组，应直接按分录行查询")
    return Q(account_group__startswith=prefix)


@dataclass(frozen=True)
class FundFlow:
    income: Decimal  # contributions (net of reversals) and subsidies due, credited to the fund accounts
    spending: Decimal  # settlements and manual claims (net of reversals) less violation deductions
    balance: Decimal  # the fund accounts' balance at the end date (accumulated surplus)


def fund_flow(start: dt.date, end: dt.date) -> FundFlow:
    return fund_flows([start], end)[0]


def fund_flows(starts: list[dt.date], end: dt.date) -> list[FundFlow]:
    """fund_flow(start, end) for each of `starts` (e.g. the month's first day and the year's), in one query: the
    fund accounts' summary rows up to `end`, income and spending summed over those of each period (SQL FILTER)."""
    sums = {"d": Sum("debit_fen"), "c": Sum("credit_fen")}
    for i, start in enumerate(starts):
        period = _days(start, end)
        sums.update({f"id{i}": Sum("debit_fen", filter=S_INCOME & period),
                     f"ic{i}": Sum("credit_fen", filter=S_INCOME & period),
                     f"sd{i}": Sum("debit_fen", filter=S_SPENDING & period),
                     f"sc{i}": Sum("credit_fen", filter=S_SPENDING & period)})
    row = LedgerDaySummary.objects.filter(S_FUND & Q(day__lte=end)).aggregate(**sums)
    balance = from_fen(row["c"]) - from_fen(row["d"])
    return [FundFlow(income=from_fen(row[f"ic{i}"]) - from_fen(row[f"id{i}"]),
                     spending=from_fen(row[f"sd{i}"]) - from_fen(row[f"sc{i}"]), balance=balance)
            for i in range(len(starts))]


def family_account_credited(start: dt.date, end: dt.date, region_prefix: str) -> Decimal:
    """What the contributions of the period put into the family accounts of households in the region (the
    county's from the summary; a region's from the lines, through each account's household)."""
    if not region_prefix:
        d, c = _summary_sum(_codes("3102-") & Q(entry_kind__startswith="contribution") & _days(start, end))
        return c - d
    q = Q(account__code__startswith="3102-") & Q(entry__kind__startswith="contribution") & _period(start, end)
    q &= Q(account__household__region__code__startswith=region_prefix)
    d, c = _sum(q)
    return c - d


def bank_lines(start: dt.date, end: dt.date) -> dict[str, tuple[Decimal, Decimal]]:
    """基金专户 (1001) movements of the period by entry kind: kind → (debit = money in, credit = money out)."""
    rows = (LedgerDaySummary.objects.filter(Q(account_group=FUND_ACCOUNT) & _days(start, end))
            .values("entry_kind").annotate(d=Sum("debit_fen"), c=Sum("credit_fen")).order_by("entry_kind"))
    return {r["entry_kind"]: (from_fen(r["d"]), from_fen(r["c"])) for r in rows if r["d"] or r["c"]}


@dataclass(frozen=True)
class BankMonth:
    """The special account (1001) for a month's report: movements by entry kind in the month and in the year to
    date (as bank_lines), and the balances before the month, before the year and at the end (as bank_balance)."""

    month: dict[str, tuple[Decimal, Decimal]]
    ytd: dict[str, tuple[Decimal, Decimal]]
    before_month: Decimal
    before_year: Decimal
    closing: Decimal


def bank_month(start: dt.date, end: dt.date) -> BankMonth:
    """One query over the special account's summary rows up to `end`, grouped by entry kind and by bucket: 0
    before the year, 1 the year before `start`, 2 from `start` to `end`."""
    year_start = dt.date(start.year, 1, 1)
    bucket = Case(When(day__lt=year_start, then=Value(0)), When(day__lt=start, then=Value(1)),
                  default=Value(2), output_field=IntegerField())
    rows = (LedgerDaySummary.objects.filter(Q(account_group=FUND_ACCOUNT) & Q(day__lte=end))
            .annotate(bucket=bucket).values("bucket", "entry_kind").annotate(d=Sum("debit_fen"), c=Sum("credit_fen"))
            .order_by())
    month: dict[str, tuple[Decimal, Decimal]] = {}
    ytd: dict[str, tuple[Decimal, Decimal]] = {}
    moved = {0: ZERO, 1: ZERO, 2: ZERO}  # debit − credit per bucket
    for r in rows:
        if not (r["d"] or r["c"]):  # a summary row whose lines were all moved away (summary.redate_entries)
            continue
        d, c = from_fen(r["d"]), from_fen(r["c"])
        moved[r["bucket"]] += d - c
        if r["bucket"] == 2:
            month[r["entry_kind"]] = (d, c)
        if r["bucket"] >= 1:
            yd, yc = ytd.get(r["entry_kind"], (ZERO, ZERO))
            ytd[r["entry_kind"]] = (yd + d, yc + c)
    return BankMonth(month=month, ytd=ytd, before_month=moved[0] + moved[1], before_year=moved[0],
                     closing=moved[0] + moved[1] + moved[2])


def subsidy_received_by_level(start: dt.date, end: dt.date) -> dict[str, Decimal]:
    """Subsidies received in the period by the receivable they settle (1201 central, 1202 provincial, 1203 county)."""
    rows = (LedgerDaySummary.objects.filter(Q(entry_kind="subsidy_received") & _codes("120") & _days(start, end))
            .values("account_group").annotate(c=Sum("credit_fen"), d=Sum("debit_fen")).order_by())
    return {r["account_group"]: from_fen(r["c"]) - from_fen(r["d"]) for r in rows if r["d"] or r["c"]}


def bank_balance(until: dt.date) -> Decimal:
    d, c = _summary_sum(Q(account_group=FUND_ACCOUNT) & Q(day__lte=until))
    return d - c


def family_accounts_balance(until: dt.date) -> Decimal:
    """All family accounts together, with what the year-end close holds in 3109 on its closing day."""
    return account_balance("3102-", until) + account_balance("3109", until)


def account_balance(code_prefix: str, until: dt.date, *, credit_normal: bool = True) -> Decimal:
    d, c = _summary_sum(_codes(code_prefix) & Q(day__lte=until))
    return c - d if credit_normal else d - c


def closing_balances(until: dt.date) -> dict[str, Decimal]:
    """In one query, the balances on `until` that the fund's monthly report shows: the family accounts with 3109
    (family_accounts_balance), the payables to facilities (2201-) and the receivables from the insurer and civil
    affairs (130x) — each as account_balance computes it."""
    groups = {"family": _codes("3102-") | _codes("3109"), "payable": _codes("2201-"), "receivable": _codes("130")}
    sums = {}
    for key, q in groups.items():
        sums[f"{key}_d"], sums[f"{key}_c"] = Sum("debit_fen", filter=q), Sum("credit_fen", filter=q)
    row = LedgerDaySummary.objects.filter(Q(day__lte=until)).aggregate(**sums)
    d = {key: from_fen(row[f"{key}_d"]) - from_fen(row[f"{key}_c"]) for key in groups}
    return {"family": -d["family"], "payable": -d["payable"], "receivable": d["receivable"]}

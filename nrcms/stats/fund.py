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
from nrcms.funding.models import AccountKind, JournalLine

INCOME_KINDS = Q(entry__kind__startswith="contribution") | Q(entry__kind__startswith="subsidy_due")
SPENDING_KINDS = Q(entry__kind__in=("settlement", "settlement_reversal", "manual_claim", "manual_claim_reversal",
                                    "violation_deduction", "family_doctor_fee"))
# 3109 (year-end carry-forward of the family accounts) is a fund account too: on the closing day it holds what the
# family accounts carry into the next year, and nets to zero the day after.
FUND_LINES = Q(account__kind=AccountKind.FUND)


def _sum(q: Q) -> tuple[Decimal, Decimal]:
    row = JournalLine.objects.filter(q).aggregate(d=Sum("debit"), c=Sum("credit"))
    return fen_sum(row["d"]), fen_sum(row["c"])


def _period(start: dt.date, end: dt.date) -> Q:
    return Q(entry__date__range=(start, end))


@dataclass(frozen=True)
class FundFlow:
    income: Decimal  # contributions (net of reversals) and subsidies due, credited to the fund accounts
    spending: Decimal  # settlements and manual claims (net of reversals) less violation deductions
    balance: Decimal  # the fund accounts' balance at the end date (accumulated surplus)


def fund_flow(start: dt.date, end: dt.date) -> FundFlow:
    return fund_flows([start], end)[0]


def fund_flows(starts: list[dt.date], end: dt.date) -> list[FundFlow]:
    """fund_flow(start, end) for each of `starts` (e.g. the month's first day and the year's), in one query: the
    fund lines up to `end`, income and spending summed over those of each period (SQL FILTER)."""
    sums = {"d": Sum("debit"), "c": Sum("credit")}
    for i, start in enumerate(starts):
        period = _period(start, end)
        sums.update({f"id{i}": Sum("debit", filter=INCOME_KINDS & period),
                     f"ic{i}": Sum("credit", filter=INCOME_KINDS & period),
                     f"sd{i}": Sum("debit", filter=SPENDING_KINDS & period),
                     f"sc{i}": Sum("credit", filter=SPENDING_KINDS & period)})
    row = JournalLine.objects.filter(FUND_LINES & Q(entry__date__lte=end)).aggregate(**sums)
    balance = fen_sum(row["c"]) - fen_sum(row["d"])
    return [FundFlow(income=fen_sum(row[f"ic{i}"]) - fen_sum(row[f"id{i}"]),
                     spending=fen_sum(row[f"sd{i}"]) - fen_sum(row[f"sc{i}"]), balance=balance)
            for i in range(len(starts))]


def family_account_credited(start: dt.date, end: dt.date, region_prefix: str) -> Decimal:
    """What the contributions of the period put into the family accounts of households in the region."""
    q = Q(account__code__startswith="3102-") & Q(entry__kind__startswith="contribution") & _period(start, end)
    if region_prefix:
        q &= Q(account__household__region__code__startswith=region_prefix)
    d, c = _sum(q)
    return c - d


def bank_lines(start: dt.date, end: dt.date) -> dict[str, tuple[Decimal, Decimal]]:
    """基金专户 (1001) movements of the period by entry kind: kind → (debit = money in, credit = money out)."""
    rows = (JournalLine.objects.filter(Q(account__code=FUND_ACCOUNT) & _period(start, end))
            .values("entry__kind").annotate(d=Sum("debit"), c=Sum("credit")).order_by("entry__kind"))
    return {r["entry__kind"]: (fen_sum(r["d"]), fen_sum(r["c"])) for r in rows}


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
    """One query over the special account's lines up to `end`, grouped by entry kind and by bucket: 0 before the
    year, 1 the year before `start`, 2 from `start` to `end`."""
    year_start = dt.date(start.year, 1, 1)
    bucket = Case(When(entry__date__lt=year_start, then=Value(0)), When(entry__date__lt=start, then=Value(1)),
                  default=Value(2), output_field=IntegerField())
    rows = (JournalLine.objects.filter(Q(account__code=FUND_ACCOUNT) & Q(entry__date__lte=end))
            .annotate(bucket=bucket).values("bucket", "entry__kind").annotate(d=Sum("debit"), c=Sum("credit"))
            .order_by())
    month: dict[str, tuple[Decimal, Decimal]] = {}
    ytd: dict[str, tuple[Decimal, Decimal]] = {}
    moved = {0: ZERO, 1: ZERO, 2: ZERO}  # debit − credit per bucket
    for r in rows:
        d, c = fen_sum(r["d"]), fen_sum(r["c"])
        moved[r["bucket"]] += d - c
        if r["bucket"] == 2:
            month[r["entry__kind"]] = (d, c)
        if r["bucket"] >= 1:
            yd, yc = ytd.get(r["entry__kind"], (ZERO, ZERO))
            ytd[r["entry__kind"]] = (yd + d, yc + c)
    return BankMonth(month=month, ytd=ytd, before_month=moved[0] + moved[1], before_year=moved[0],
                     closing=moved[0] + moved[1] + moved[2])


def subsidy_received_by_level(start: dt.date, end: dt.date) -> dict[str, Decimal]:
    """Subsidies received in the period by the receivable they settle (1201 central, 1202 provincial, 1203 county)."""
    rows = (JournalLine.objects.filter(Q(entry__kind="subsidy_received") & Q(account__code__startswith="120")
                                       & _period(start, end))
            .values("account__code").annotate(c=Sum("credit"), d=Sum("debit")).order_by())
    return {r["account__code"]: fen_sum(r["c"]) - fen_sum(r["d"]) for r in rows}


def bank_balance(until: dt.date) -> Decimal:
    d, c = _sum(Q(account__code=FUND_ACCOUNT) & Q(entry__date__lte=until))
    return d - c


def family_accounts_balance(until: dt.date) -> Decimal:
    """All family accounts together, with what the year-end close holds in 3109 on its closing day."""
    return account_balance("3102-", until) + account_balance("3109", until)


def account_balance(code_prefix: str, until: dt.date, *, credit_normal: bool = True) -> Decimal:
    d, c = _sum(Q(account__code__startswith=code_prefix) & Q(entry__date__lte=until))
    return c - d if credit_normal else d - c


def closing_balances(until: dt.date) -> dict[str, Decimal]:
    """In one query, the balances on `until` that the fund's monthly report shows: the family accounts with 3109
    (family_accounts_balance), the payables to facilities (2201-) and the receivables from the insurer and civil
    affairs (130x) — each as account_balance computes it."""
    groups = {"family": Q(account__code__startswith="3102-")
              | Q(account__code__startswith="3109"), "payable": Q(account__code__startswith="2201-"),
              "receivable": Q(account__code__startswith="130")}
    sums = {}
    for key, q in groups.items():
        sums[f"{key}_d"], sums[f"{key}_c"] = Sum("debit", filter=q), Sum("credit", filter=q)
    row = JournalLine.objects.filter(Q(entry__date__lte=until)).aggregate(**sums)
    d = {key: fen_sum(row[f"{key}_d"]) - fen_sum(row[f"{key}_c"]) for key in groups}
    return {"family": -d["family"], "payable": -d["payable"], "receivable": d["receivable"]}

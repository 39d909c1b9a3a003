"""The statistics' one-query forms (issue 11, bench/bench_county_queries.py) give exactly the figures of the
separate queries they replaced: net_many = one net() per where, fund_flows = fund_flow per period, bank_month =
bank_lines and bank_balance, closing_balances = account_balance; checked on the small county to the fen."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Q

from nrcms.stats import fund
from nrcms.stats.dashboard import fund_by_month, period_of
from nrcms.stats.indicators import LAYERS
from nrcms.stats.scope import Scope
from nrcms.stats.sources import INPATIENT, KINDS, net, net_by_kind, net_many

pytestmark = pytest.mark.django_db

YEAR = Scope(dt.date(2026, 1, 1), dt.date(2026, 12, 31), "610125", "户县")
MARCH = Scope(dt.date(2026, 3, 1), dt.date(2026, 3, 31), "610125", "户县")


def test_net_many_equals_one_net_per_where(small):
    wheres = {"all": None, "inpatient": INPATIENT, **{k: q for k, (_, q) in KINDS.items()},
              "family_account": ~Q(family_account=0), **{k: ~Q(**{k: 0}) for k, _ in LAYERS}}
    for scope in (YEAR, MARCH):
        many = net_many(scope, wheres)
        for key, where in wheres.items():
            one = net(scope, where)
            assert (many[key].count, many[key].benefit, many[key].referred, many[key].above, many[key].amounts) == (
                one.count, one.benefit, one.referred, one.above, one.amounts), key


def test_net_by_kind_equals_one_net_per_kind(small):
    for scope in (YEAR, MARCH):
        by_kind = net_by_kind(scope)
        assert set(by_kind) == set(KINDS)
        for key, (_, q) in KINDS.items():
            one = net(scope, q)
            assert (by_kind[key].count, by_kind[key].referred, by_kind[key].above, by_kind[key].amounts) == (
                one.count, one.referred, one.above, one.amounts), key
    assert sum(t.count for t in net_by_kind(YEAR).values()) == net(YEAR).count


def test_fund_flows_and_balances_equal_the_separate_queries(small):
    end = dt.date(2026, 3, 31)
    month, year = fund.fund_flows([dt.date(2026, 3, 1), dt.date(2026, 1, 1)], end)
    assert month == fund.fund_flow(dt.date(2026, 3, 1), end)
    # fund_flow's own definition, summed separately (income: contributions and subsidies due, net of reversals)
    assert (month.income, month.spending) == (Decimal("1520.00"), Decimal("14005.00"))
    assert year.balance == month.balance
    flow = fund.fund_flows([dt.date(2026, 1, 1)], end)[0]
    assert flow == year

    bank = fund.bank_month(dt.date(2026, 3, 1), end)
    assert bank.month == fund.bank_lines(dt.date(2026, 3, 1), end)
    assert bank.ytd == fund.bank_lines(dt.date(2026, 1, 1), end)
    assert bank.before_month == fund.bank_balance(dt.date(2026, 2, 28))
    assert bank.before_year == fund.bank_balance(dt.date(2025, 12, 31))
    assert bank.closing == fund.bank_balance(end)
    assert bank.closing - bank.before_month == Decimal("1520.00") - Decimal("3600.00")

    closing = fund.closing_balances(end)
    assert closing == {"family": fund.family_accounts_balance(end), "payable": fund.account_balance("2201-", end),
                       "receivable": fund.account_balance("130", end, credit_normal=False)}


def test_fund_by_month_in_one_query_agrees_with_fund_flow(small):
    p = period_of(2026, dt.date(2026, 3, 31))
    months = fund_by_month(p)
    assert months[-1]["balance"] == fund.fund_flow(p.start, p.until).balance
    assert months[2]["income"] == Decimal("1520.00") and months[2]["spending"] == Decimal("14005.00")


def test_the_year_summary_reuses_the_indicators_kinds_and_townships(small):
    """year_summary takes each kind of reimbursement from the indicators' one query and sums no village: the
    same rows as by_kind and the full ledgers' townships, each summed apart."""
    from nrcms.stats.indicators import by_kind, indicators
    from nrcms.stats.ledgers import ledgers

    for scope in (YEAR, MARCH):
        kept: dict = {}
        indicators(scope, keep=kept)
        assert set(kept["kinds"]) == set(KINDS)
        assert by_kind(scope, kept["kinds"]) == by_kind(scope)
        full, towns = ledgers(scope), ledgers(scope, villages=False)
        assert towns.townships == full.townships and towns.county == full.county
        assert full.villages and not towns.villages and towns.agree and full.agree
    # the three kinds are disjoint and cover every settlement
    kept = {}
    indicators(YEAR, keep=kept)
    assert sum(t.count for t in kept["kinds"].values()) == kept["all"].count > 0


def test_facility_rows_in_one_query_equal_the_totals_and_drug_costs_apart(small):
    """facility_rows reads each facility's totals and drug cost in one grouped query over the facts: the same
    as net_by(facility) and drug_cost_by_facility, and with a category (read from the rows) too."""
    from dataclasses import replace

    from nrcms.stats.facility_shares import _totals_and_drugs, drug_cost_by_facility
    from nrcms.stats.sources import net_by

    for scope in (YEAR, MARCH, replace(YEAR, category="registered_poor")):
        totals, drugs = _totals_and_drugs(scope)
        assert totals == net_by(scope, "episode__facility__code")
        assert drugs == drug_cost_by_facility(scope)
    assert _totals_and_drugs(YEAR)[1]  # the small county's desk settlements have drug lines


def test_desk_cost_and_drug_cost_by_month_in_one_query_equal_each_apart(small):
    """The drug-share alerts' one grouped query: the desk rows' total cost by facility-month as a query of the
    desk facts alone gives it, the drug cost as drug_cost_by (the charge lines) gives it."""
    from django.db.models import Sum
    from django.db.models.functions import ExtractMonth

    from nrcms.funding.summary import from_fen
    from nrcms.stats.facility_shares import desk_cost_and_drug_cost_by_month, raw_drug_cost_by
    from nrcms.stats.models import FactSource, SettlementFact

    for scope in (YEAR, MARCH):
        totals, drugs = desk_cost_and_drug_cost_by_month(scope)
        desk = (SettlementFact.objects.filter(source=FactSource.DESK, day__range=(scope.start, scope.end))
                .annotate(month=ExtractMonth("day")).values("facility__code", "month").annotate(t=Sum("total_cost_fen")))
        assert totals == {(r["facility__code"], r["month"]): from_fen(r["t"]) for r in desk}
        assert drugs == raw_drug_cost_by(scope, month=ExtractMonth("episode__settlements__settled_at"))
        assert totals and drugs

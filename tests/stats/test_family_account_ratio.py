"""The reimbursement ratios leave the family account out, as the engine's ratio does (nrcms/policy/result.py:
the family account is the household's own money, not the pooled fund's). 基本医疗补偿 still shows it, and the
reports' 合计 row's ratio leaves it out too. On the small county (small_county.py), A's outpatient visit of
25 March (total 100.00, pooled 55.00) is given a family-account payment of 20.00 as a scheme with a family
account would have paid it: the stored settlement is what the statistics read."""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from small_county import PREFIX

from nrcms.claims.models import Settlement
from nrcms.stats import facts
from nrcms.stats.indicators import by_kind, indicators
from nrcms.stats.reports import report_build
from nrcms.stats.scope import Scope

pytestmark = pytest.mark.django_db
MARCH = Scope(dt.date(2026, 3, 1), dt.date(2026, 3, 31), PREFIX, "试验乡")


@pytest.fixture
def with_family_account(small):
    visit = Settlement.objects.get(episode__person=small.persons["A"], episode__kind="outpatient")
    assert (visit.total_cost, visit.basic + visit.fixed_fee + visit.subsidy) == (Decimal("100.00"), Decimal("55.00"))
    Settlement.objects.filter(pk=visit.pk).update(family_account=Decimal("20.00"), fund_total=visit.fund_total + 20,
                                                  self_pay=visit.self_pay - 20)
    facts.add(settlement_ids=[visit.pk])  # the statistics' row of the stored settlement as changed
    return small


def test_the_ratios_count_the_pooled_fund_only(with_family_account):
    v = {i.key: i.value for i in indicators(MARCH)}
    assert v["family_account_paid"] == Decimal("20.00") and v["family_account_episodes"] == 1
    assert v["reimbursed"] == Decimal("14025.00")  # 14,005 pooled + 20 from the family account
    assert v["effective_ratio"] == Decimal("46.53")  # 14,005 / 30,100 (with the family account: 46.59)
    assert v["in_policy_ratio"] == Decimal("62.52")  # 14,005 / 22,400
    assert v["all_layers_ratio"] == Decimal("50.32")  # (14,005 + safety net 1,140) / 30,100
    outpatient = {r["key"]: r for r in by_kind(MARCH)}["outpatient"]
    assert (outpatient["reimbursed"], outpatient["effective_ratio"]) == (Decimal("75.00"), Decimal("55.00"))


def test_the_monthly_report_ratio_leaves_the_family_account_out(with_family_account):
    report = report_build("reimbursement-monthly", replace(MARCH))
    for table in report.tables:
        assert table.headers[-1] == "各层合计实际补偿比（%）"
        total = table.rows[-1]
        assert total[0] == "合计" and total[-2] == Decimal("15165.00")  # 14,025 + 1,140 (fund_total, with family)
        assert total[-1] == Decimal("50.32"), table.title  # (15,165 − 20) / 30,100
    kinds = {row[0]: row for row in report.tables[2].rows}
    assert kinds["门诊"][-1] == Decimal("55.00")  # (75 − 20) / 100

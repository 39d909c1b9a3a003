"""Every indicator against values worked by hand on the small fixed county (small_county.py): desk and manual
settlements both count, reversals net out on their own dates, the layers and the fund from the ledger."""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from small_county import PREFIX

from nrcms.stats.facility_shares import facility_rows
from nrcms.stats.indicators import by_kind, indicators
from nrcms.stats.ratios import average, percent
from nrcms.stats.scope import Scope

pytestmark = pytest.mark.django_db

MARCH = Scope(dt.date(2026, 3, 1), dt.date(2026, 3, 31), PREFIX, "试验乡")
APRIL = replace(MARCH, start=dt.date(2026, 4, 1), end=dt.date(2026, 4, 30))
YEAR = replace(MARCH, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))


def values(scope) -> dict:
    return {i.key: i.value for i in indicators(scope)}


def test_ratio_helper_is_decimal_to_two_places_and_none_without_a_denominator():
    assert percent(1, 3) == Decimal("33.33") and percent(2, 3) == Decimal("66.67")
    assert percent(5, 0) is None and average(Decimal("32"), 4) == Decimal("8.00")


def test_march_indicators_as_worked_by_hand(small):
    v = values(MARCH)
    # enrolment: A, B, C, D of an agricultural population of 16
    assert (v["enrolled"], v["agricultural_population"], v["enrollment_rate"]) == (4, 16, Decimal("25.00"))
    # A, B, C in hospital, A's visit, D's manual claim: five settlements, each paying something
    assert (v["episodes"], v["benefit_episodes"], v["benefit_rate"]) == (5, 5, Decimal("125.00"))
    # cost 7,000 × 3 + 100 + 9,000; basic 3,450 × 3 + 55 + 3,600; eligible 5,100 × 3 + 100 + 7,000
    assert v["total_cost"] == Decimal("30100.00") and v["reimbursed"] == Decimal("14005.00")
    assert v["effective_ratio"] == Decimal("46.53")  # 14,005 / 30,100
    assert v["in_policy_ratio"] == Decimal("62.52")  # 14,005 / 22,400
    assert v["out_of_policy_share"] == Decimal("25.58")  # 7,700 / 30,100
    assert v["all_layers_ratio"] == Decimal("50.32")  # (14,005 + safety net 1,140) / 30,100
    # in hospital: A, B, C at the desk and D out of county; 9 + 10 + 3 + 10 days
    assert (v["admissions"], v["admission_rate"], v["admissions_last_year"]) == (4, Decimal("100.00"), 0)
    assert v["admissions_growth"] is None and v["average_stay"] == Decimal("8.00")
    assert (v["out_of_county_rate"], v["referral_rate"]) == (Decimal("25.00"), Decimal("100.00"))
    assert (v["above_2000"], v["above_5000"], v["above_10000"], v["at_cap"]) == (4, 0, 0, 0)
    # family accounts: 20.00 of each of four contributions credited, nothing spent
    assert (v["family_account_paid"], v["family_account_episodes"]) == (Decimal("0.00"), 0)
    assert (v["family_account_credited"], v["family_account_use"]) == (Decimal("80.00"), Decimal("0.00"))
    # the layers: only C's safety net; C (registered poor) got 4,590 of 7,000
    assert (v["catastrophic"], v["assistance"], v["safety_net"]) == (Decimal("0.00"), Decimal("0.00"), Decimal("1140.00"))
    assert (v["catastrophic_episodes"], v["assistance_episodes"], v["safety_net_episodes"]) == (0, 0, 1)
    assert (v["poor_effective_ratio"], v["poor_target"]) == (Decimal("65.57"), Decimal("90.00"))
    assert "fund_income" not in v  # the fund is pooled county-wide: no township figure


def test_reversals_net_out_on_their_own_dates(small):
    april = values(APRIL)
    # B's desk reversal (3 April) and D's manual reversal (6 April) take back 7,000 + 9,000 and 3,450 + 3,600
    assert (april["episodes"], april["benefit_episodes"], april["admissions"]) == (-2, -2, -2)
    assert (april["total_cost"], april["reimbursed"]) == (Decimal("-16000.00"), Decimal("-7050.00"))
    assert (april["above_2000"], april["out_of_county_rate"]) == (-2, Decimal("50.00"))
    year = values(YEAR)
    # what stays in the year: A's stay and visit, C's stay
    assert (year["episodes"], year["admissions"]) == (3, 2)
    assert (year["total_cost"], year["reimbursed"]) == (Decimal("14100.00"), Decimal("6955.00"))
    assert year["average_stay"] == Decimal("6.00") and year["above_2000"] == 2  # (9 + 3) / 2
    assert year["referral_rate"] is None and year["out_of_county_rate"] == Decimal("0.00")


def test_by_kind_per_episode_cost_and_reimbursement(small):
    rows = {r["key"]: r for r in by_kind(MARCH)}
    ic, oc, op = rows["inpatient_in_county"], rows["inpatient_out_of_county"], rows["outpatient"]
    assert (ic["count"], ic["total_cost"], ic["reimbursed"]) == (3, Decimal("21000.00"), Decimal("10350.00"))
    assert (ic["cost_per_episode"], ic["reimbursed_per_episode"], ic["effective_ratio"]) == (
        Decimal("7000.00"), Decimal("3450.00"), Decimal("49.29"))
    assert (oc["count"], oc["total_cost"], oc["reimbursed"], oc["effective_ratio"]) == (
        1, Decimal("9000.00"), Decimal("3600.00"), Decimal("40.00"))
    assert (op["count"], op["cost_per_episode"], op["reimbursed_per_episode"]) == (1, Decimal("100.00"), Decimal("55.00"))


def test_drug_share_and_out_of_policy_share_per_facility(small):
    rows = {r["code"]: r for r in facility_rows(MARCH)}
    county = rows["H610125001"]  # three stays: drugs 6,700 of 7,000 each; out of policy 1,900 each
    assert (county["count"], county["drug_cost"], county["drug_share"]) == (3, Decimal("20100.00"), Decimal("95.71"))
    assert (county["out_of_policy"], county["out_of_policy_share"]) == (Decimal("5700.00"), Decimal("27.14"))
    township = rows["H610125101"]  # amoxicillin 90 of 100, all in policy
    assert (township["drug_share"], township["out_of_policy_share"]) == (Decimal("90.00"), Decimal("0.00"))
    xian = rows["H610100001"]  # a manual claim: receipts by class, no drug lines; 丙 1,000 + 乙 20 % × 5,000
    assert xian["drug_share"] is None and xian["out_of_policy_share"] == Decimal("22.22")
    year = {r["code"]: r for r in facility_rows(YEAR)}["H610125001"]  # A, B − B, C
    assert (year["count"], year["drug_cost"], year["drug_share"]) == (2, Decimal("13400.00"), Decimal("95.71"))


def test_filters_by_facility_level_facility_category_and_village(small):
    assert values(replace(MARCH, facility_level="county"))["episodes"] == 3
    assert values(replace(MARCH, facility_code="H610125101"))["reimbursed"] == Decimal("55.00")
    poor = values(replace(MARCH, category="registered_poor"))
    assert (poor["enrolled"], poor["episodes"], poor["total_cost"], poor["all_layers_ratio"]) == (
        1, 1, Decimal("7000.00"), Decimal("65.57"))
    village = values(replace(MARCH, region_prefix="610125199202"))  # 乙村: C and D, population 6
    assert (village["enrolled"], village["enrollment_rate"], village["episodes"]) == (2, Decimal("33.33"), 2)


def test_fund_indicators_county_wide_from_the_ledger(small):
    county = replace(MARCH, region_prefix="610125", region_name="户县")
    v = values(county)
    february = values(replace(county, start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28)))
    # income: four contributions of 380.00; spending: 3,450 × 3 + 55 + 3,600 from the pooled fund
    assert (v["fund_income"], v["fund_spending"]) == (Decimal("1520.00"), Decimal("14005.00"))
    assert v["fund_utilisation"] == Decimal("921.38") and v["surplus"] == Decimal("-12485.00")
    assert v["accumulated_surplus"] - february["accumulated_surplus"] == Decimal("-12485.00")

"""The settlement facts (stats.SettlementFact, nrcms/stats/facts.py), which the county statistics read instead of
joining settlements to episodes, households and regions: after every kind of writer they equal the raw rows,
fact by fact, with the hand-computed values of the small county (small_county.py); the statistics read from them
equal the statistics read from the raw rows; the rebuild command and the books check catch a difference."""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Q
from django.db.models.functions import ExtractMonth, Substr
from small_county import PREFIX, VILLAGE_A

from nrcms.accounts.models import AuditEntry
from nrcms.claims.desk import episode_discharge, episode_referral_attach
from nrcms.claims.desk_charges import ChargeInput, charge_withdraw, charges_upload
from nrcms.claims.models import ChargeLine, Episode, Referral
from nrcms.facilities.catalogue import catalogue_item_add
from nrcms.facilities.models import CatalogueItem, Facility
from nrcms.funding.checks import books_check
from nrcms.stats import dashboard as dash
from nrcms.stats import facts, indicators
from nrcms.stats import sources as src
from nrcms.stats.facility_shares import drug_cost_by, drug_cost_by_month, raw_drug_cost_by
from nrcms.stats.models import SettlementFact
from nrcms.stats.scope import Scope

pytestmark = pytest.mark.django_db
D = Decimal
MARCH_APRIL = Scope(dt.date(2026, 3, 1), dt.date(2026, 4, 30), PREFIX, "试验乡")


def agrees() -> None:
    assert facts.differences() == (0, [])


def fact(serial: str, source: str = "desk", sign: int = 1) -> SettlementFact:
    episode = Episode.objects.get(serial=serial)
    return SettlementFact.objects.get(episode_id=episode.pk, source=source, sign=sign)


def test_the_demo_loader_leaves_the_facts_equal_to_the_rows(demo):
    assert SettlementFact.objects.filter(source="desk").exists()
    agrees()
    assert "结算事实表与结算记录逐条相符" in books_check().facts


def test_the_small_countys_writers_leave_the_hand_computed_facts(small):
    agrees()
    rows = SettlementFact.objects.filter(region_code__startswith=PREFIX)
    # A's stay, B's stay and its reversal, C's stay, A's visit: five desk rows; D's claim paid and reversed
    assert rows.count() == 7 and sum(r.sign for r in rows) == 3
    a = fact("SY-ZY1")
    assert (a.day, a.region_code, a.episode_kind, a.stay_days, a.capped) == (
        dt.date(2026, 3, 10), VILLAGE_A, "inpatient", 9, False)
    assert (a.total_cost_fen, a.eligible_cost_fen, a.basic_fen, a.pooled_fen) == (700000, 510000, 345000, 345000)
    assert (a.drug_cost_fen, a.drug_lines) == (670000, 2)  # urokinase 6,000.00 + albumin 700.00
    reversal = fact("SY-ZY2", sign=-1)
    assert (reversal.day, reversal.total_cost_fen, reversal.basic_fen, reversal.drug_cost_fen) == (
        dt.date(2026, 4, 3), -700000, -345000, -670000)
    c = fact("SY-ZY3")
    assert (c.stay_days, c.safety_net_fen, c.fund_total_fen) == (3, 114000, 459000)
    visit = fact("SY-MZ1")
    assert (visit.episode_kind, visit.stay_days, visit.drug_cost_fen, visit.pooled_fen) == ("outpatient", None, 9000,
                                                                                           5500)
    claim_episode = SettlementFact.objects.get(source="paid", region_code__startswith=PREFIX).episode_id
    paid = SettlementFact.objects.get(source="paid", episode_id=claim_episode)
    back = SettlementFact.objects.get(source="reversed", episode_id=claim_episode)
    assert (paid.day, paid.sign, paid.total_cost_fen, paid.basic_fen, paid.referred, paid.drug_cost_fen) == (
        dt.date(2026, 3, 17), 1, 900000, 360000, True, 0)
    assert (back.day, back.sign, back.total_cost_fen, back.basic_fen) == (dt.date(2026, 4, 6), -1, -900000, -360000)


def test_the_desk_changing_a_reversed_episode_moves_its_facts(small, demo):
    """B's stay was reversed on 3 April: its episode is open again, and what the desk changes there is what
    the statistics read for both its rows (settlement and reversal), as they read it from the rows."""
    desk = demo["desk_county"]
    episode = Episode.objects.get(serial="SY-ZY2")
    charge_withdraw(actor=desk, episode=episode, line_no=2, reason="重复录入")  # urokinase 6,000.00 withdrawn
    agrees()
    assert (fact("SY-ZY2").drug_cost_fen, fact("SY-ZY2", sign=-1).drug_cost_fen) == (70000, -70000)
    result = charges_upload(actor=desk, episode=episode, lines=[ChargeInput(
        line_no=4, facility_item_code="5001-YP0201", item_name="x", charged_on=dt.date(2026, 3, 2),
        quantity=D("1"), unit_price=D("350"), amount=D("350.00"))])
    assert result.ok, result.errors
    agrees()
    assert (fact("SY-ZY2").drug_cost_fen, fact("SY-ZY2").drug_lines) == (105000, 2)  # albumin 700.00 + 350.00
    episode_discharge(actor=desk, episode=Episode.objects.get(pk=episode.pk), discharge_date=dt.date(2026, 3, 11))
    agrees()
    assert (fact("SY-ZY2").stay_days, fact("SY-ZY2", sign=-1).stay_days) == (9, 9)
    assert not fact("SY-ZY2").referred
    county = Facility.objects.get(code="H610125001")
    Referral.objects.create(number="ZZ-SY-0009", person=episode.person, to_facility=county,
                            approved_on=dt.date(2026, 3, 2), valid_until=dt.date(2026, 3, 30),
                            approved_by=demo["reviewer"])
    episode_referral_attach(actor=desk, episode=Episode.objects.get(pk=episode.pk), referral_number="ZZ-SY-0009")
    agrees()
    assert fact("SY-ZY2").referred and fact("SY-ZY2", sign=-1).referred


def test_a_new_drug_version_of_a_catalogue_code_moves_the_drug_cost(small, demo):
    """A's bed (300.00) becomes a drug code in a new catalogue version: the drug cost reads every version."""
    bed = ChargeLine.objects.get(episode__serial="SY-ZY1", line_no=1)
    assert not CatalogueItem.objects.filter(code=bed.catalogue_code, kind="drug").exists()
    catalogue_item_add(actor=demo["reviewer"], code=bed.catalogue_code, name="床位费（试）", kind="drug",
                       catalogue_class="A", valid_from=dt.date(2027, 1, 1), authority="测试")
    agrees()
    assert (fact("SY-ZY1").drug_cost_fen, fact("SY-ZY1").drug_lines) == (700000, 3)


SCOPES = [MARCH_APRIL, Scope(dt.date(2026, 3, 1), dt.date(2026, 3, 31), PREFIX, "试验乡"),
          Scope(dt.date(2026, 4, 1), dt.date(2026, 4, 30)), Scope(dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
          Scope(dt.date(2026, 3, 1), dt.date(2026, 4, 30), VILLAGE_A, "甲村"),
          Scope(dt.date(2026, 3, 1), dt.date(2026, 4, 30), facility_level="county"),
          Scope(dt.date(2026, 3, 1), dt.date(2026, 4, 30), facility_code="H610125001")]
WHERES = {"all": None, "inpatient": src.INPATIENT, "out": src.KINDS["inpatient_out_of_county"][1],
          "family": ~Q(family_account=0), "safety_net": ~Q(safety_net=0), "person": Q(episode__person_id=1),
          "desk": src.INPATIENT & Q(episode__manual_claim__isnull=True), "manual": Q(episode__manual_claim__isnull=False),
          "above": Q(total_cost__gt=5000), "below": Q(total_cost__lte=7000) | Q(basic__gte=Decimal("3600.00"))}
KEYS = [src.KIND_KEY, "episode__facility__code", "episode__person_id",
        Substr("episode__household__region__code", 1, 12), Substr("episode__household__region__code", 1, 9)]


@pytest.mark.parametrize("scope", SCOPES)
def test_the_statistics_read_from_the_facts_equal_the_raw_rows(small, scope):
    for where in WHERES.values():
        assert src.net(scope, where) == src.raw_net(scope, where)
    assert src.net_many(scope, WHERES) == src.raw_net_many(scope, WHERES)
    for key in KEYS:
        for where in (None, src.INPATIENT):
            assert src.net_by(scope, key, where) == src.raw_net_by(scope, key, where)
    assert indicators._stay_and_cap(scope) == indicators._raw_stay_and_cap(scope)
    for where in (None, Q(episode__kind="inpatient")):
        assert drug_cost_by(scope, where) == raw_drug_cost_by(scope, where)
    assert drug_cost_by_month(scope) == raw_drug_cost_by(scope, month=ExtractMonth("episode__settlements__settled_at"))


def test_the_hand_computed_figures_of_the_small_county_from_the_facts(small):
    t = src.net(MARCH_APRIL)
    # net: A 7,000 + B (7,000 − 7,000) + C 7,000 + A's visit 100 + D (9,000 − 9,000)
    assert (t.count, t.total_cost, t.pooled) == (3, D("14100.00"), D("6955.00"))
    assert indicators._stay_and_cap(MARCH_APRIL) == (2, 12, 0)  # A 9 days, C 3 days; B's netted out
    drugs = drug_cost_by(MARCH_APRIL)
    assert drugs == {("H610125001",): D("13400.00"), ("H610125101",): D("90.00")}  # A and C 6,700.00 each
    assert drug_cost_by_month(MARCH_APRIL) == {("H610125001", 3): D("20100.00"), ("H610125001", 4): D("-6700.00"),
                                               ("H610125101", 3): D("90.00")}
    # the category filter stays on the raw rows: C is the registered poor person
    poor = src.net(replace(MARCH_APRIL, category="registered_poor"))
    assert (poor.count, poor.fund_total) == (1, D("4590.00"))
    days = [(d["day"], d["count"], d["fund_total"]) for d in dash.settlements_by_day(dash.period_of(
        2026, dt.date(2026, 4, 30)))]
    assert (dt.date(2026, 4, 6), -1, D("-3600.00")) in days and (dt.date(2026, 3, 8), 1, D("4590.00")) in days


def test_a_tampered_fact_is_caught_and_the_rebuild_puts_it_right(small):
    a = fact("SY-ZY1")
    SettlementFact.objects.filter(pk=a.pk).update(basic_fen=1)
    SettlementFact.objects.filter(pk=fact("SY-ZY3").pk).delete()
    count, shown = facts.differences()
    assert count == 2 and any("basic_fen" in s for s in shown) and any("缺少结算事实" in s for s in shown)
    assert any("结算事实表有 2 处" in p for p in books_check().problems)
    with pytest.raises(CommandError):
        call_command("stats_rebuild_summaries", "--check")
    call_command("stats_rebuild_summaries")
    agrees()
    assert fact("SY-ZY1").basic_fen == 345000
    audit = AuditEntry.objects.filter(action="settlement_facts.rebuild").latest("seq")
    assert audit.after["differences"] == 2 and audit.after["rows"] == SettlementFact.objects.count()
    call_command("stats_rebuild_summaries", "--check")

"""The demo's claims: settled admissions and visits at every in-county facility, made by that facility's own
desk through the desk and settlement services, agreeing with the fund ledger, loaded once."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from nrcms.accounts.models import AuditEntry
from nrcms.claims.models import ChargeLine, Episode, EpisodeStatus, Settlement
from nrcms.demo.claims import (
    FACILITIES,
    FIRST_DAY,
    LAST_DAY,
    REVERSAL_REASON,
    charge_inputs,
    claims_plan,
    load_claims,
)
from nrcms.demo.loader import demo_load
from nrcms.funding.checks import books_check
from nrcms.funding.models import JournalEntry

pytestmark = pytest.mark.django_db

def demo_episodes():
    return Episode.objects.filter(serial__regex=r"^(MZ|ZY)2026\d{7}$", facility__code__in=list(FACILITIES))


def test_every_in_county_facility_has_settled_visits_and_admissions_by_its_own_desk(demo):
    for code, (username, _per_day, admissions) in FACILITIES.items():
        episodes = demo_episodes().filter(facility__code=code)
        settled = episodes.filter(status=EpisodeStatus.SETTLED)
        assert settled.filter(kind="outpatient").count() >= 5, code
        if admissions:  # the village clinic admits nobody
            assert settled.filter(kind="inpatient").exists(), code
        else:
            assert not episodes.filter(kind="inpatient").exists()
        assert set(episodes.values_list("created_by__username", flat=True)) == {username}
        assert set(Settlement.objects.filter(episode__in=episodes).values_list("settled_by__username", flat=True)) \
            == {username}
        codes = ChargeLine.objects.filter(episode__in=episodes).values_list("facility_item_code", flat=True)
        assert {c.split("-")[0] for c in codes} == {code[-4:]}  # the facility's own mapped codes
    classes = set(ChargeLine.objects.filter(episode__in=demo_episodes()).values_list("catalogue_class", flat=True))
    assert classes == {"A", "B", "C"}


def test_about_four_weeks_within_the_scheme_year_and_none_in_the_future(demo):
    episodes = demo_episodes()
    assert 150 <= episodes.count() <= 350 and episodes.filter(kind="inpatient").count() >= 20
    first = min(episodes.values_list("admission_date", flat=True))
    last = max(d for d in episodes.values_list("discharge_date", flat=True) if d)
    assert (FIRST_DAY, LAST_DAY) == (dt.date(2026, 10, 24), dt.date(2026, 11, 20))
    assert FIRST_DAY <= first and last <= LAST_DAY < timezone.localdate()
    assert set(episodes.values_list("scheme_year", flat=True)) == {2026}


def test_visits_are_small_and_admissions_larger(demo):
    visits = [s.total_cost for s in Settlement.objects.filter(episode__in=demo_episodes(), kind="settlement",
                                                                episode__kind="outpatient")]
    assert visits and all(Decimal("20") <= t <= Decimal("60") for t in visits)
    stays = [s.total_cost for s in Settlement.objects.filter(episode__in=demo_episodes(), kind="settlement",
                                                               episode__kind="inpatient")]
    assert sum(Decimal("300") <= t <= Decimal("10000") for t in stays) >= len(stays) - 2
    assert max(stays) > Decimal("30000")  # the registered-poor patient's infarction


def test_prices_by_level_and_a_village_visit_worked_by_hand(demo):
    # 静脉输液 ZL0005 costs 12.00 at the county, × 0.8 = 9.60 in a township, × 0.6 = 7.20 at a village clinic;
    # drugs (YP…) cost the same everywhere.
    day = dt.date(2026, 11, 1)
    lines = [("ZL0005", 1, day), ("YP0006", 2, day)]
    names = {"ZL0005": "静脉输液", "YP0006": "0.9%氯化钠注射液"}
    assert [(c.facility_item_code, c.unit_price, c.amount) for c in charge_inputs("0201", "village", names, lines, 1)] \
        == [("0201-ZL0005", Decimal("7.2"), Decimal("7.20")), ("0201-YP0006", Decimal("3.80"), Decimal("7.60"))]
    assert charge_inputs("5101", "township", names, lines, 1)[0].amount == Decimal("9.60")
    # A gastroenteritis visit at 东韩村卫生室: 诊查费 10×0.6 = 6.00, 静脉输液 7.20, 氯化钠 2 × 3.80 = 7.60,
    # 输液器 5×0.6 = 3.00 → 23.80, all 甲 (in policy). Pooling at a village clinic 60 %: 14.28 → 14.30 (to the
    # jiao), under the 30.00 per-visit cap; the patient pays 23.80 − 14.30 = 9.50.
    visit = Settlement.objects.filter(episode__in=demo_episodes(), episode__facility__code="C610125100201",
                                      episode__diagnosis_code="A09.9").first()
    assert visit is not None
    assert (visit.total_cost, visit.eligible_cost, visit.basic, visit.fund_total, visit.self_pay) == (
        Decimal("23.80"), Decimal("23.80"), Decimal("14.30"), Decimal("14.30"), Decimal("9.50"))


def test_registered_poor_patient_reaches_every_layer(demo):
    poor = list(Settlement.objects.filter(episode__in=demo_episodes(), kind="settlement",
                                          episode__person__categories__category="registered_poor")
                .order_by("episode__admission_date"))
    assert [s.episode.diagnosis_code for s in poor] == ["I21.9", "I50.9"]
    assert poor[0].episode.person_id == poor[1].episode.person_id and poor[0].total_cost > Decimal("30000")
    # The infarction leaves 7,000-odd in-policy self-pay, under the 10,000 catastrophic deductible; the heart
    # failure admission passes it, so catastrophic insurance pays on the second.
    assert poor[0].catastrophic == 0 < poor[1].catastrophic
    assert poor[0].assistance > 0 and poor[0].safety_net > 0
    for s in poor:  # the safety net guarantees 90 % of the in-policy cost from the fund (to the jiao)
        assert s.basic + s.catastrophic + s.assistance + s.safety_net >= s.eligible_cost * Decimal("0.9") - Decimal("0.05")


def test_demo_settlements_agree_with_the_fund_ledger(demo):
    assert Settlement.objects.filter(episode__in=demo_episodes()).count() >= 150
    report = books_check()
    assert report.ok, report.problems


def test_loading_the_demo_again_changes_nothing(demo):
    def counts():
        return (Episode.objects.count(), ChargeLine.objects.count(), Settlement.objects.count(),
                JournalEntry.objects.count(), AuditEntry.objects.count())

    before = counts()
    assert load_claims().episodes == 0
    demo_load()
    assert counts() == before


def test_the_plan_is_seeded(demo):
    first, second = claims_plan(), claims_plan()
    assert [(p.facility, p.serial, p.id_number, p.lines) for p in first] == \
        [(p.facility, p.serial, p.id_number, p.lines) for p in second]


def test_every_demo_episode_is_settled(demo):
    waiting = list(demo_episodes().exclude(status=EpisodeStatus.SETTLED).values_list("serial", flat=True))
    assert waiting == []


def test_one_settlement_reversed_with_a_reason_then_corrected_and_settled_again(demo):
    reversal = Settlement.objects.filter(episode__in=demo_episodes(), kind="reversal").first()
    assert reversal is not None
    assert reversal.reason == REVERSAL_REASON and reversal.reverses.status == "reversed"
    assert reversal.fund_total == -reversal.reverses.fund_total
    again = reversal.episode.settlements.get(kind="settlement", status="active")
    # The discharge medicine uploaded after the reversal is in the new settlement.
    assert again.total_cost > reversal.reverses.total_cost
    assert reversal.episode.status == EpisodeStatus.SETTLED


def test_settlements_are_dated_on_the_day_of_care(demo):
    rows = Settlement.objects.filter(episode__created_by__username__startswith="desk_").select_related("episode")
    assert rows.exists()
    for s in rows:
        day = s.episode.discharge_date or s.episode.admission_date
        assert timezone.localdate(s.settled_at) == day, s.number


def test_october_statements_walk_from_review_to_disbursement(demo):
    from nrcms.funding import ledger
    from nrcms.funding.checks import books_check
    from nrcms.payments.models import FacilityStatement

    october = {s.facility.code: s for s in FacilityStatement.objects.filter(month="2026-10-01")}
    assert october["H610125001"].status == "in_review"
    paid = october["H610125101"]
    assert paid.status == "disbursed" and paid.disbursed_by.username == "finance"
    assert paid.approved_by.username == "reviewer"
    # October paid out, the 甘亭镇 centre is still owed exactly its November settlements
    november = Settlement.objects.filter(episode__facility=paid.facility,
                                         settled_at__gte=dt.datetime(2026, 11, 1, tzinfo=timezone.get_current_timezone()))
    assert ledger.balance(ledger.payable_to(paid.facility)) == sum((s.fund_total for s in november), Decimal("0"))
    assert paid.disbursed_amount == paid.fund_total > 0
    assert books_check(2026).ok

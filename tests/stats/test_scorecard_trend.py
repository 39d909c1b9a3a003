"""A facility's 12-month scorecard trend (sc.trend: each measure once over the whole range, grouped by month)
against the month-by-month computation it replaced (one scorecards() call per month, kept here as the
reference), card by card and value by value, on the small fixed county (small_county.py): March 2026 with
desk settlements and a manual claim, April with a desk reversal and the manual claim's reversal, plus a
readmission, a referral, complaints, audit hits and a settlement moved across the year boundary."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from nrcms.claims.models import Referral, Settlement
from nrcms.stats import scorecards as sc

pytestmark = pytest.mark.django_db

COUNTY, XIAN = "H610125001", "H610100001"


def month_by_month(code: str, year: int, month: int, months: int = 12):
    """What trend() was: scorecards(y, m, facility_code=code) for each month."""
    out = []
    for back in range(months - 1, -1, -1):
        y, m = divmod(year * 12 + (month - 1) - back, 12)
        cards = sc.scorecards(y, m + 1, facility_code=code)
        out.append((f"{y}-{m + 1:02d}", cards[0] if cards else None))
    return out


def _readmission(small, demo, day: dt.date) -> Settlement:
    """A back at 户县人民医院 20–22 March 2026 (ten days after the 10 March discharge), bed only, 300.00 —
    settled on `day`."""
    from small_county import _charges, stamp_settlement

    from nrcms.claims.desk import episode_discharge
    from nrcms.claims.desk_admission import AdmissionInput, admission_register
    from nrcms.claims.settlement import settlement_settle

    desk = demo["desk_county"]
    episode, _ = admission_register(actor=desk, data=AdmissionInput(
        serial="SY-ZY9", kind="inpatient", id_number=small.persons["A"].id_number,
        admission_date=dt.date(2026, 3, 20), diagnosis_code="I63.9"))
    _charges(desk, episode, [("5001-ZL0001", "10", "30", "300.00")], dt.date(2026, 3, 20))
    episode = episode_discharge(actor=desk, episode=episode, discharge_date=dt.date(2026, 3, 22))
    settlement = settlement_settle(actor=desk, episode=episode)[0]
    stamp_settlement(settlement, day)
    return settlement


def _hit(settlement: Settlement, month: dt.date, n: int) -> None:
    from nrcms.supervision.models import AuditHit

    AuditHit.objects.create(rule_code="T-01", rule_name="测试规则", rule_version="1", severity="warn",
                            stage="batch", key=f"{month}-{n}", message="测试疑点", evidence={},
                            episode=settlement.episode, settlement=settlement, facility=settlement.episode.facility,
                            person=settlement.episode.person, month=month)


def test_trend_equals_the_month_by_month_cards_across_a_year_boundary(small, demo):
    from small_county import stamp_settlement

    from nrcms.complaints.services import complaint_register

    readmission = _readmission(small, demo, dt.date(2026, 3, 22))
    Referral.objects.create(number="ZZ-SY-0099", person=small.persons["A"], from_facility=demo["desk_county"].facility,
                            to_name="西京医院", approved_on=dt.date(2026, 3, 15), valid_until=dt.date(2026, 4, 15),
                            approved_by=demo["reviewer"])
    # C's settlement moved to 31 December 2025: the trend to March 2026 spans the year boundary
    stamp_settlement(Settlement.objects.get(episode__serial="SY-ZY3"), dt.date(2025, 12, 31))
    for day in (dt.date(2025, 12, 31), dt.date(2026, 3, 5), dt.date(2026, 3, 20), dt.date(2026, 4, 2)):
        complaint_register(actor=demo["reviewer"], channel="hotline", kind="overcharge", subject="多收费",
                           content="住院多收费", facility_code=COUNTY, received_on=day)
    for n, month in enumerate((dt.date(2025, 12, 1), dt.date(2026, 3, 1), dt.date(2026, 3, 1))):
        _hit(readmission, month, n)

    trend = sc.trend(COUNTY, 2026, 4)
    assert trend == month_by_month(COUNTY, 2026, 4)
    assert [label for label, _ in trend][:2] == ["2025-05", "2025-06"] and trend[-1][0] == "2026-04"
    cards = {label: card for label, card in trend if card is not None}
    assert set(cards) == {"2025-12", "2026-03", "2026-04"}
    december, march, april = cards["2025-12"], cards["2026-03"], cards["2026-04"]
    assert (december.settlements, december.total_cost) == (1, Decimal("7000.00"))  # C alone
    assert december.values["complaints"] == 1 and december.values["hits_per_100"] == Decimal("100.00")
    assert december.values["average_stay"] == Decimal("3.00")
    # March: A 7,000 (9 days), B 7,000 (10 days), A again 300 (2 days, a readmission); 1 referral
    assert (march.settlements, march.admissions, march.total_cost) == (3, 3, Decimal("14300.00"))
    assert march.values["readmission_rate"] == Decimal("33.33") and march.values["referral_out_rate"] == Decimal("33.33")
    assert march.values["average_stay"] == Decimal("7.00") and march.values["drug_share"] == Decimal("93.71")
    assert march.values["complaints"] == 2 and march.values["hits_per_100"] == Decimal("66.67")  # 2 ÷ 3 × 100
    # April: only B's reversal (−1 settlement, −7,000.00, −10 days)
    assert (april.settlements, april.admissions, april.total_cost) == (-1, -1, Decimal("-7000.00"))
    assert april.values["average_stay"] == Decimal("10.00") and april.values["complaints"] == 1

    for code in (COUNTY, XIAN, "H610125101", "NO-SUCH"):
        for year, month in ((2026, 3), (2026, 4), (2026, 1), (2026, 11), (2027, 3)):
            assert sc.trend(code, year, month) == month_by_month(code, year, month), (code, year, month)
    xian = dict(sc.trend(XIAN, 2026, 5))  # the manual claim paid in March, reversed in April
    assert (xian["2026-03"].settlements, xian["2026-04"].settlements) == (1, -1)
    assert xian["2026-03"].values["drug_share"] is None and xian["2026-04"].values["average_stay"] == Decimal("10.00")
    assert sc.trend(COUNTY, 2026, 3, months=3) == month_by_month(COUNTY, 2026, 3, months=3)
    assert all(card is None for _, card in sc.trend("NO-SUCH", 2026, 3))


def test_cost_growth_leaves_out_the_29_february_the_month_lacks(small, demo):
    """February 2029 compares with 1–28 February 2028 (Scope.previous_year): a settlement on 29 February 2028
    is in neither month's year before — as month by month."""
    from small_county import stamp_settlement

    stamp_settlement(Settlement.objects.get(episode__serial="SY-ZY1"), dt.date(2029, 2, 10))  # A: 7,000.00
    stamp_settlement(Settlement.objects.get(episode__serial="SY-ZY2", kind="settlement"), dt.date(2028, 2, 10))
    _readmission(small, demo, dt.date(2028, 2, 29))  # 300.00: would make the year before 3,650.00 a stay
    stamp_settlement(Settlement.objects.get(episode__serial="SY-ZY3"), dt.date(2029, 3, 8))  # C: 7,000.00
    trend = dict(sc.trend(COUNTY, 2029, 3))
    assert trend["2029-02"].values["cost_growth"] == Decimal("0.00")  # 7,000 against B's 7,000 alone
    assert trend["2029-03"].values["cost_growth"] is None  # nothing in March 2028
    assert list(trend.items()) == month_by_month(COUNTY, 2029, 3)
    for year, month in ((2028, 3), (2029, 2), (2030, 2)):
        assert sc.trend(COUNTY, year, month) == month_by_month(COUNTY, year, month), (year, month)


def test_a_count_source_without_a_monthly_form_is_asked_month_by_month(small):
    installed, monthly = dict(sc._COUNT_SOURCES), dict(sc._MONTHLY_COUNT_SOURCES)
    asked = []

    def hits(start, end):
        asked.append(start)
        return {COUNTY: start.month}

    sc.register_count_source("hits", hits)
    sc.register_count_source("complaints", None)
    try:
        assert "hits" not in sc._MONTHLY_COUNT_SOURCES  # a new source drops the old source's monthly form
        trend = dict(sc.trend(COUNTY, 2026, 4))
        assert len(asked) == 12 and asked[0] == dt.date(2025, 5, 1)
        assert trend["2026-03"].values["hits_per_100"] == Decimal("100.00")  # 3 ÷ 3 × 100
        assert trend["2026-03"].values["complaints"] is None  # no complaints app: “—”
        assert list(trend.items()) == month_by_month(COUNTY, 2026, 4)
    finally:
        for name in ("hits", "complaints"):
            sc.register_count_source(name, installed.get(name), monthly.get(name))
    assert sc._MONTHLY_COUNT_SOURCES == monthly

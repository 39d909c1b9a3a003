"""Each scorecard measure against hand-computed values on the small fixed county (small_county.py), March 2026.

户县人民医院 (county level) in March: A 1–10 March (9 days), B 2–12 March (10 days), C 5–8 March (3 days), each
total 7,000.00, in-policy 5,100.00, drugs 6,700.00 (urokinase 6,000 + albumin 700; bed 300).
西安市中心医院 (prefecture): D's manual claim paid 17 March, 10–20 February (10 days), total 9,000.00,
in-policy 7,000.00 (class totals only: no drug share). 甘亭镇中心卫生院: one outpatient visit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from nrcms.claims.models import Referral, Settlement
from nrcms.facilities.models import AlertStatus, FacilityAlert
from nrcms.facilities.supervision import alert_acknowledge, scorecards_run
from nrcms.policy.parameters import SupervisionThresholds
from nrcms.stats import scorecards as sc

pytestmark = pytest.mark.django_db

COUNTY, XIAN = "H610125001", "H610100001"


def cards_by_code(year=2026, month=3):
    return {c.code: c for c in sc.scorecards(year, month)}


def test_each_measure_march(small):
    cards = cards_by_code()
    county = cards[COUNTY]
    assert (county.settlements, county.admissions, county.total_cost) == (3, 3, Decimal("21000.00"))
    v = county.values
    assert v["drug_share"] == Decimal("95.71")  # 20,100 ÷ 21,000
    assert v["out_of_policy_share"] == Decimal("27.14")  # (21,000 − 15,300) ÷ 21,000
    assert v["cost_per_admission"] == Decimal("7000.00")
    assert v["cost_growth"] is None  # no admission in March 2025
    assert v["average_stay"] == Decimal("7.33")  # (9 + 10 + 3) ÷ 3
    assert v["readmission_rate"] == Decimal("0.00")
    assert v["referral_out_rate"] == Decimal("0.00")
    # the supervision and complaints apps supply their counts: none in this small county
    assert v["hits_per_100"] == Decimal("0.00") and v["complaints"] == 0
    assert county.thresholds == {"drug_share": Decimal("45.00"), "out_of_policy_share": Decimal("2.00"),
                                 "cost_growth": Decimal("10.00")}
    assert county.above_keys == ["drug_share", "out_of_policy_share"]
    xian = cards[XIAN]
    assert xian.values["drug_share"] is None  # a manual claim has no charge lines
    assert xian.values["out_of_policy_share"] == Decimal("22.22")  # 2,000 ÷ 9,000
    assert xian.values["cost_per_admission"] == Decimal("9000.00")
    assert xian.values["average_stay"] == Decimal("10.00")
    assert xian.thresholds["out_of_policy_share"] == Decimal("3.00")  # prefecture level
    township = next(c for c in cards.values() if c.level == "township")
    assert (township.settlements, township.admissions) == (1, 0)
    assert township.values["cost_per_admission"] is None and township.above_keys == []


def test_readmission_referral_and_growth(small, demo):
    from small_county import _charges, stamp_settlement

    from nrcms.claims.desk import episode_discharge
    from nrcms.claims.desk_admission import AdmissionInput, admission_register
    from nrcms.claims.settlement import settlement_settle

    desk = demo["desk_county"]
    a = small.persons["A"]
    # A back on 20 March, ten days after the 10 March discharge: a readmission; bed only, 300.00 in policy
    episode, _ = admission_register(actor=desk, data=AdmissionInput(
        serial="SY-ZY9", kind="inpatient", id_number=a.id_number, admission_date=dt.date(2026, 3, 20),
        diagnosis_code="I63.9"))
    _charges(desk, episode, [("5001-ZL0001", "10", "30", "300.00")], dt.date(2026, 3, 20))
    episode = episode_discharge(actor=desk, episode=episode, discharge_date=dt.date(2026, 3, 22))
    stamp_settlement(settlement_settle(actor=desk, episode=episode)[0], dt.date(2026, 3, 22))
    Referral.objects.create(number="ZZ-SY-0099", person=a, from_facility=desk.facility, to_name="西京医院",
                            approved_on=dt.date(2026, 3, 15), valid_until=dt.date(2026, 4, 15),
                            approved_by=demo["reviewer"])
    # C's settlement moved to March 2025: the year-before month for the growth
    c_settlement = Settlement.objects.get(episode__serial="SY-ZY3")
    stamp_settlement(c_settlement, dt.date(2025, 3, 8))
    v = cards_by_code()[COUNTY].values
    # March 2026 now: A 7,000 (9 days), B 7,000 (10 days), A again 300 (2 days)
    assert v["cost_per_admission"] == Decimal("4766.67")  # 14,300 ÷ 3
    assert v["cost_growth"] == Decimal("-31.90")  # (4,766.67 − 7,000.00) ÷ 7,000.00
    assert v["average_stay"] == Decimal("7.00")  # 21 ÷ 3
    assert v["readmission_rate"] == Decimal("33.33")  # 1 ÷ 3
    assert v["referral_out_rate"] == Decimal("33.33")  # 1 referral ÷ 3 admissions
    assert v["drug_share"] == Decimal("93.71")  # 13,400 ÷ 14,300
    assert v["out_of_policy_share"] == Decimal("26.57")  # (14,300 − 10,500) ÷ 14,300


def test_pluggable_hits_and_complaints(small):
    installed, monthly = dict(sc._COUNT_SOURCES), dict(sc._MONTHLY_COUNT_SOURCES)  # the apps' own, put back after
    sc.register_count_source("hits", lambda start, end: {COUNTY: 2})
    sc.register_count_source("complaints", lambda start, end: {COUNTY: 1})
    try:
        cards = cards_by_code()
        assert cards[COUNTY].values["hits_per_100"] == Decimal("66.67")  # 2 hits ÷ 3 settlements × 100
        assert cards[COUNTY].values["complaints"] == 1
        assert cards[XIAN].values["hits_per_100"] == Decimal("0.00") and cards[XIAN].values["complaints"] == 0
    finally:
        sc.register_count_source("hits", None)
        sc.register_count_source("complaints", None)
        for name, source in installed.items():
            sc.register_count_source(name, source, monthly.get(name))


def test_the_complaints_and_supervision_apps_supply_their_counts(small, demo):
    from nrcms.complaints.services import complaint_register

    for day in (dt.date(2026, 3, 5), dt.date(2026, 3, 20), dt.date(2026, 4, 2)):  # April's is not March's
        complaint_register(actor=demo["reviewer"], channel="hotline", kind="overcharge", subject="多收费",
                           content="住院多收费", facility_code=COUNTY, received_on=day)
    cards = cards_by_code()
    assert cards[COUNTY].values["complaints"] == 2 and cards[XIAN].values["complaints"] == 0
    assert cards[COUNTY].values["hits_per_100"] is not None  # the supervision app is installed: a figure, not “—”


def test_ranking_by_level(small):
    groups = sc.ranking(sc.scorecards(2026, 3), "out_of_policy_share")
    assert [level for level, _, _ in groups] == ["township", "county", "prefecture"]
    county_group = dict((lvl, cards) for lvl, _, cards in groups)["county"]
    assert [(c.code, c.rank) for c in county_group] == [(COUNTY, 1)]
    township = dict((lvl, cards) for lvl, _, cards in groups)["township"]
    assert township[0].rank is None  # no inpatient figure: unranked


def test_alerts_raised_once_and_acknowledged(small, demo):
    result = scorecards_run(year=2026, month=3)
    assert (result.raised, result.updated) == (3, 0)
    alerts = {(a.facility.code, a.measure): a for a in FacilityAlert.objects.filter(month=dt.date(2026, 3, 1))}
    assert set(alerts) == {(COUNTY, "drug_share"), (COUNTY, "out_of_policy_share"), (XIAN, "out_of_policy_share")}
    assert (alerts[(COUNTY, "drug_share")].value, alerts[(COUNTY, "drug_share")].threshold) == (
        Decimal("95.71"), Decimal("45.00"))
    again = scorecards_run(year=2026, month=3)
    assert (again.raised, again.updated, again.unchanged) == (0, 0, 3)
    alert = alert_acknowledge(actor=demo["reviewer"], alert=alerts[(COUNTY, "drug_share")], note="已约谈院长")
    assert alert.status == AlertStatus.ACKNOWLEDGED and alert.acknowledged_by == demo["reviewer"]


def test_alerts_not_raised_under_thresholds(small, monkeypatch):
    loose = SupervisionThresholds(drug_share={"county": Decimal("0.99")},
                                  out_of_policy_share={"county": Decimal("0.30"), "prefecture": Decimal("0.30")})
    monkeypatch.setattr(sc, "thresholds_on", lambda day: (loose, True))
    result = scorecards_run(year=2026, month=3)
    assert result.raised == 0 and not FacilityAlert.objects.exists()


def test_cli_run(small, capsys):
    from django.core.management import CommandError, call_command

    call_command("scorecards_run", month="2026-03")
    assert "新预警 3 条" in capsys.readouterr().out
    with pytest.raises(CommandError, match="年-月"):
        call_command("scorecards_run", month="2026-13")


def test_pages_export_api_and_todo(small, client, login, demo):
    import io
    import json

    from openpyxl import load_workbook

    login("reviewer")
    page = client.get("/facilities/scorecards/?month=2026-03&sort=out_of_policy_share")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="above-H610125001-drug_share"' in html and ">95.71<" in html
    assert 'data-testid="above-H610100001-drug_share"' not in html
    xlsx = client.get("/facilities/scorecards/?month=2026-03&format=xlsx")
    assert xlsx.status_code == 200
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    header = [c.value for c in ws[1]]
    county_row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[2] == COUNTY)
    assert float(county_row[header.index("药占比（%）")]) == pytest.approx(95.71)
    assert county_row[header.index("次均住院费用（元）")] == 7000
    assert client.get("/facilities/scorecards/?month=2026-13").status_code == 400
    trend_page = client.get(f"/facilities/{COUNTY}/scorecard/?month=2026-04").content.decode()
    assert 'id="scorecard-data"' in trend_page and '"2026-03"' in trend_page and "<script>" not in trend_page
    data = json.loads(client.get("/api/facilities/scorecards?month=2026-03").content)
    county = next(i for i in data["items"] if i["code"] == COUNTY)
    measures = {m["key"]: m for m in county["measures"]}
    assert measures["drug_share"]["value"] == "95.71" and measures["drug_share"]["above"] is True
    assert measures["hits_per_100"]["value"] == "0.00"
    bad = client.get("/api/facilities/scorecards?month=2026-3x")
    assert bad.status_code == 400 and "年-月" in bad.content.decode()
    api_trend = json.loads(client.get(f"/api/facilities/{COUNTY}/scorecard?month=2026-03").content)
    assert [m["month"] for m in api_trend["months"]][-2:] == ["2026-02", "2026-03"]
    scorecards_run(year=2026, month=3)
    home = client.get("/").content.decode()
    assert "定点机构监管指标超阈值预警" in home
    alert = FacilityAlert.objects.get(facility__code=COUNTY, measure="drug_share")
    assert client.post("/facilities/alerts/", {"alert": alert.pk, "note": "已约谈"}).status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    login("ganting")  # a township clerk: no scorecards
    assert client.get("/facilities/scorecards/").status_code == 403

"""Each simulation output against figures worked out by hand on a fixed set of four episodes.

Scheme A: deductible 300, 50 %, cap 10,000, no outpatient benefit. Scheme B: the same at 60 %.
  P1 (registered_poor) county admission 2,300 → A (2300−300)×50% = 1,000; B 1,200
  P2 (no category)     township admission 1,300 → A 500; B 600; and a 100 visit, refused (no outpatient)
  P3 (dibao)           province admission 300 → nothing (not above the deductible)"""

import datetime as dt
from decimal import Decimal

import pytest

from nrcms.policy import ChargeItem, Episode, scheme_file_from_mapping
from nrcms.simulation.columns import Row, frame, read_episodes, write_episodes
from nrcms.simulation.errors import ExtractError, SimulationError
from nrcms.simulation.simulate import Assumptions, dry_year, project, simulate

D = Decimal


def scheme(rate: str):
    params = {"inpatient": {"deductible": {"default": "300"}, "tiers": {"default": [{"rate": rate}]},
                            "annual_cap": "10000"}}
    data = {"id": "t", "name": "测试", "county": "测试县",
            "versions": [{"effective": "2020-01-01", "notice": "测试", "parameters": params}]}
    return scheme_file_from_mapping(data).versions[0]


def episode(kind, level, amount, day=10):
    on = dt.date(2020, 3, day)
    return Episode(kind=kind, facility_level=level, admission_date=on - dt.timedelta(days=3 if kind == "inpatient" else 0),
                   discharge_date=on if kind == "inpatient" else None, charges=(ChargeItem("x", D(amount)),))


@pytest.fixture
def year():
    return frame([Row(1, episode("inpatient", "county", "2300"), frozenset({"registered_poor"})),
                  Row(2, episode("inpatient", "township", "1300")),
                  Row(2, episode("outpatient", "township", "100", day=12)),
                  Row(3, episode("inpatient", "province", "300"), frozenset({"dibao"}))])


def test_totals_ratios_balance_and_beneficiaries(year):
    a, b = simulate(year, [("现行", scheme("0.50")), ("提高", scheme("0.60"))], income=2000_00)
    assert (a.total_cost, a.eligible, a.fund_total, a.self_pay, a.nrcms_fund) == (4000_00, 3900_00, 1500_00, 2500_00, 1500_00)
    assert a.layers["basic"] == 1500_00 and a.layers["catastrophic"] == 0
    assert (a.effective_ratio, a.in_policy_ratio) == (D("0.3750"), D("0.3846"))
    assert (a.beneficiaries, a.refused, a.episodes) == (2, 1, 4)
    assert (a.balance, a.surplus_rate) == (500_00, D("0.2500"))
    assert (b.fund_total, b.balance, b.surplus_rate) == (1800_00, 200_00, D("0.1000"))
    assert a.by_kind["inpatient"] == {"episodes": 3, "total_cost": 3900_00, "fund_total": 1500_00, "nrcms": 1500_00,
                                      "self_pay": 2400_00}
    assert a.by_kind["outpatient"]["fund_total"] == 0
    assert a.by_level["township"] == {"episodes": 2, "total_cost": 1400_00, "fund_total": 500_00, "nrcms": 500_00,
                                      "self_pay": 900_00}


def test_registered_poor_ratio_against_the_target(year):
    (a,) = simulate(year, [("现行", scheme("0.50"))])
    assert a.poor["persons"] == 1 and a.poor["eligible"] == 2300_00 and a.poor["fund_total"] == 1000_00
    assert a.poor["in_policy_ratio"] == D("0.4348") and a.poor["meets_target"] is False
    assert a.balance is None  # no income given


def test_who_gains_and_who_loses(year):
    _, b = simulate(year, [("现行", scheme("0.50")), ("提高", scheme("0.60"))])
    g = b.gains
    assert (g["persons"], g["gainers"], g["losers"], g["change"]) == (3, 2, 0, -300_00)
    by_category = {row["key"]: row for row in g["by_category"]}
    assert by_category["registered_poor"] == {"key": "registered_poor", "label": "建档立卡贫困户", "persons": 1,
                                              "gainers": 1, "losers": 0, "change": -200_00}
    assert by_category[""]["label"] == "一般参合人员" and by_category[""]["change"] == -100_00
    assert by_category["dibao"]["gainers"] == 0 and by_category["dibao"]["change"] == 0
    by_band = {row["key"]: row for row in g["by_band"]}
    assert by_band["1000–5000 元"]["persons"] == 2 and by_band["1000–5000 元"]["change"] == -300_00
    assert by_band["1000 元以下"]["persons"] == 1 and by_band["1000 元以下"]["change"] == 0
    # a scheme against itself changes nothing
    _, same = simulate(year, [("现行", scheme("0.50")), ("同一", scheme("0.50"))])
    assert same.gains["change"] == 0 and same.gains["gainers"] == same.gains["losers"] == 0


def test_projection_re_settles_grown_costs_and_finds_the_dry_year(year):
    rows = project(year, scheme("0.50"), years=2, income=2000_00, assumptions=Assumptions(cost=D("0.10")))
    # t1: 2530→1115, 1430→565, 330→15; t2: 2783→1241.50, 1573→636.50, 363→31.50
    assert [r["spending"] for r in rows] == [1500_00, 1695_00, 1909_50]
    assert [r["balance"] for r in rows] == [500_00, 805_00, 895_50]
    assert dry_year(rows) is None
    rows = project(year, scheme("0.50"), years=2, income=1600_00, assumptions=Assumptions(cost=D("0.10")))
    assert [r["balance"] for r in rows] == [100_00, 5_00, -304_50] and dry_year(rows) == 2
    grown = project(year, scheme("0.50"), years=1, income=2000_00,
                    assumptions=Assumptions(enrollment=D("0.10"), utilisation=D("0.05"), subsidy=D("0.02"),
                                            opening_balance=1000_00))
    # t1 spending 1500 × 1.10 × 1.05 = 1732.50; income 2000 × 1.10 × 1.02 = 2244
    assert grown[1]["spending"] == 1732_50 and grown[1]["income"] == 2244_00
    assert grown[1]["balance"] == 1000_00 + 500_00 + 2244_00 - 1732_50


def test_refusals_of_the_simulation():
    with pytest.raises(SimulationError, match="至少选择一个补偿方案"):
        simulate(frame([]), [])
    with pytest.raises(SimulationError, match="0 到 30"):
        project(frame([]), scheme("0.5"), years=31, income=0, assumptions=Assumptions())


def test_extract_round_trips_through_parquet_and_csv(year, tmp_path):
    for name in ("y.parquet", "y.csv"):
        write_episodes(year, tmp_path / name)
        again = read_episodes(tmp_path / name)
        assert again.equals(year), name
    (tmp_path / "bad.csv").write_text("person_id,date\n1,2020-01-01\n", encoding="utf-8")
    with pytest.raises(ExtractError, match="缺少列"):
        read_episodes(tmp_path / "bad.csv")
    broken = year.with_columns(total=year["total"] + 1)
    write_episodes(broken, tmp_path / "sum.parquet")
    with pytest.raises(ExtractError, match="之和应等于总费用"):
        read_episodes(tmp_path / "sum.parquet")
    with pytest.raises(ExtractError, match="不存在"):
        read_episodes(tmp_path / "none.parquet")

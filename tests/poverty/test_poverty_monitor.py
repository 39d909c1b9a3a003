"""The 90 % monitor's figures against the hand-computed ones in poverty_county.py."""

import datetime as dt
from decimal import Decimal

from poverty_county import TOWNSHIP, VILLAGE_1, VILLAGE_2

from nrcms.poverty import monitor
from nrcms.poverty.monitor import _Stay, reasons
from nrcms.stats.scope import Scope

MARCH = Scope(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31), region_prefix=TOWNSHIP[:9], region_name="扶贫乡")


def test_the_settlements_are_what_the_layers_say(poor):
    s1, s2 = poor["s1"], poor["s2"]
    assert (s1.total_cost, s1.eligible_cost, s1.basic, s1.safety_net, s1.fund_total) == (
        Decimal("7000.00"), Decimal("5100.00"), Decimal("3450.00"), Decimal("1140.00"), Decimal("4590.00"))
    assert (s2.total_cost, s2.eligible_cost, s2.fund_total) == (Decimal("3000.00"), Decimal("3000.00"),
                                                                Decimal("2700.00"))


def test_township_rows_by_village_and_total(poor):
    rows = {r["code"]: r for r in monitor.region_rows(MARCH)}
    v1, v2, total = rows[VILLAGE_1], rows[VILLAGE_2], rows[TOWNSHIP]
    assert (v1["label"], v1["count"], v1["effective_ratio"], v1["meets_target"]) == ("一村", 1, Decimal("65.57"), False)
    assert (v2["count"], v2["total_cost"], v2["effective_ratio"], v2["meets_target"]) == (
        1, Decimal("3000.00"), Decimal("90.00"), True)  # P3 left the registry before admission: not counted
    assert total["label"] == "扶贫乡合计"
    assert (total["count"], total["total_cost"], total["eligible_cost"], total["fund_total"]) == (
        2, Decimal("10000.00"), Decimal("8100.00"), Decimal("7290.00"))
    assert total["effective_ratio"] == Decimal("72.90")
    assert total["out_of_policy"] == Decimal("1900.00") and total["out_of_policy_share"] == Decimal("19.00")
    assert total["safety_net"] == Decimal("1140.00") + poor["s2"].safety_net
    assert total["out_of_county"] == 0 and total["referral_rate"] is None


def test_months_put_the_stays_in_march(poor):
    months = monitor.month_rows(MARCH, 2026)
    assert [m["count"] for m in months] == [0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert months[2]["effective_ratio"] == Decimal("72.90") and months[0]["effective_ratio"] is None


def test_facility_out_of_policy_share_against_the_county_limit(poor):
    (row,) = monitor.facility_rows(MARCH)
    assert row["name"] == "户县人民医院"
    assert (row["share"], row["limit"], row["over_limit"]) == (Decimal("19.00"), Decimal("2"), True)


def test_below_target_names_the_patient_the_reason_and_the_facility(poor):
    (p1,) = monitor.below_target(MARCH)
    assert p1["person_id"] == poor["P1"].pk and p1["effective_ratio"] == Decimal("65.57")
    assert p1["gap"] == Decimal("1710.00")  # 90 % of 7,000.00 = 6,300.00 − 4,590.00
    assert p1["reasons"] == ["政策范围外费用占比 27.14%（超过 2% 的控制标准）：户县人民医院"]
    assert p1["facility"] == "户县人民医院"


def test_reasons_read_unreferred_and_referred_out_of_county_care():
    names = {"X": "西安市中心医院", "Y": "省人民医院"}
    levels = {"X": "prefecture", "Y": "province"}
    stays = [_Stay("X", False, False, Decimal("9000.00"), Decimal("8820.00"), Decimal("5000.00")),
             _Stay("Y", False, True, Decimal("1000.00"), Decimal("1000.00"), Decimal("900.00"))]
    assert reasons(stays, levels, names) == ["县外就医未转诊：西安市中心医院，费用 9,000.00 元",
                                             "县外转诊就医：省人民医院"]  # 180/9000 = 2 % is within the 3 % limit
    stays[0] = _Stay("X", False, True, Decimal("9000.00"), Decimal("8700.00"), Decimal("5000.00"))
    assert reasons(stays, levels, names)[0] == "政策范围外费用占比 3.33%（超过 3% 的控制标准）：西安市中心医院"
    assert reasons([], {}, {}) == ["政策范围内个人自付偏高（起付线、封顶线或各层补偿未达兜底）"]


def test_monitor_page_api_and_excel(poor, login, client):
    login("civil")
    query = f"year=2026&month=3&region={TOWNSHIP}"
    page = client.get(f"/poverty/monitor/?{query}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "72.90" in text and "扶一" in text and poor["P1"].id_number not in text
    api = client.get(f"/api/poverty/monitor/below-target?{query}").json()
    assert api["total"] == 1 and api["items"][0]["id_number"] != poor["P1"].id_number
    assert api["items"][0]["effective_ratio"] == "65.57"
    from nrcms.accounts.models import AuditEntry

    before = AuditEntry.objects.filter(action="export").count()
    xlsx = client.get(f"/poverty/monitor/below.xlsx?{query}")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxml")
    assert AuditEntry.objects.filter(action="export").count() == before + 1
    assert poor["P1"].id_number.encode() not in xlsx.content


def test_a_township_clerk_cannot_read_the_monitor(demo, login, client):
    login("ganting")
    assert client.get("/poverty/monitor/").status_code == 403

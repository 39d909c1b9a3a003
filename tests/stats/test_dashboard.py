"""The director's dashboard (stats/dashboard.py) on the small fixed county of small_county.py, seen on 30 April
2026 (the demo's own settlements are dated October–November, so January–April hold only the small county's):

  March: contributions 4 × 380.00 = 1,520.00 in; the pooled fund pays A 3,450.00, B 3,450.00, C 3,450.00 (its
         1,140.00 safety net is not the fund's), A's visit 55.00 and D's manual claim 3,600.00 = 14,005.00 out
  April: B's reversal −3,450.00 and D's −3,600.00 = −7,050.00 out
  drug share, 户县人民医院 March: 3 × 6,700.00 ÷ 3 × 7,000.00 = 95.71 %; 甘亭镇中心卫生院: 90.00 ÷ 100.00 = 90.00 %
  elapsed share on 31 March 2026: 90 ÷ 365 = 24.66 %; on 30 April: 120 ÷ 365 = 32.88 %"""

import datetime as dt
from decimal import Decimal

import pytest

from nrcms.accounts.models import AuditEntry
from nrcms.registry.models import Enrollment, EnrollmentStatus
from nrcms.stats import dashboard as dash
from nrcms.stats import fund
from nrcms.stats.models import FundPlan
from nrcms.stats.scope import Scope
from nrcms.stats.sources import net

pytestmark = pytest.mark.django_db
APRIL_30, MARCH_31 = dt.date(2026, 4, 30), dt.date(2026, 3, 31)
D = Decimal


def test_fund_by_month_is_the_ledgers_income_spending_and_balance(small):
    p = dash.period_of(2026, APRIL_30)
    months = dash.fund_by_month(p)
    assert [m["month"] for m in months] == [1, 2, 3, 4]
    assert [(m["income"], m["spending"]) for m in months] == [
        (D("0.00"), D("0.00")), (D("0.00"), D("0.00")), (D("1520.00"), D("14005.00")), (D("0.00"), D("-7050.00"))]
    assert months[2]["balance"] - months[1]["balance"] == D("1520.00") - D("14005.00")
    assert months[3]["balance"] - months[2]["balance"] == D("7050.00")
    for m in months:  # the one grouped query agrees with the fund report's own aggregates, month by month
        start = dt.date(2026, m["month"], 1)
        end = dt.date(2026, m["month"] + 1, 1) - dt.timedelta(days=1)
        flow = fund.fund_flow(start, end)
        assert (m["income"], m["spending"], m["balance"]) == (flow.income, flow.spending, flow.balance)


def test_utilisation_is_spending_against_expected_income_times_the_planned_share(small):
    enrolled = Enrollment.objects.filter(scheme_year=2026, status=EnrollmentStatus.ENROLLED).count()
    used = dash.utilisation(dash.period_of(2026, APRIL_30))
    assert used["enrolled"] == enrolled and used["per_person"] == D("1020.00")  # 380 + 400 + 140 + 100
    assert used["expected_income"] == D(enrolled * 1020).quantize(D("0.01"))
    assert used["plan"] == (used["expected_income"] * D("0.9")).quantize(D("0.01")) and used["plan_is_default"]
    assert used["spending"] == D("6955.00")  # 14,005.00 − 7,050.00
    assert used["utilisation"] == (D("6955.00") * 100 / used["plan"]).quantize(D("0.01"))
    assert used["elapsed_share"] == D("32.88") and used["running_ahead"] is False


def _plan(share: str, margin: str, drugs: str = "45.00") -> None:
    FundPlan.objects.update_or_create(scheme_year=2026, defaults={
        "planned_share": D(share), "ahead_margin": D(margin), "drug_share_limit": D(drugs), "authority": "测试"})


def test_the_running_ahead_alert_fires_only_beyond_the_margin(small):
    """Plan 2 % of the expected income; by 31 March 14,005.00 is spent."""
    enrolled = Enrollment.objects.filter(scheme_year=2026, status=EnrollmentStatus.ENROLLED).count()
    plan = (D(enrolled * 1020) * D("0.02")).quantize(D("0.01"))
    used_share = (D("14005.00") * 100 / plan).quantize(D("0.01"))
    gap = used_share - D("24.66")
    _plan("2.00", str(gap))  # exactly at the margin: no alert
    p = dash.period_of(2026, MARCH_31)
    used = dash.utilisation(p)
    assert (used["plan"], used["utilisation"], used["elapsed_share"]) == (plan, used_share, D("24.66"))
    assert not used["running_ahead"] and not [a for a in dash.alerts(p, used, []) if a["kind"] == "fund_ahead"]
    _plan("2.00", str(gap - D("0.01")))  # one hundredth of a point inside it: the alert
    used = dash.utilisation(p)
    (alert,) = [a for a in dash.alerts(p, used, []) if a["kind"] == "fund_ahead"]
    assert used["running_ahead"] and alert["level"] == "danger"
    assert f"已支出年度计划的 {used_share}%" in alert["message"] and "时间进度 24.66%" in alert["message"]


def test_no_standard_means_no_plan_and_says_so(small):
    p = dash.period_of(2025, dt.date(2025, 12, 31))
    used = dash.utilisation(p)
    assert used["plan"] is None and used["utilisation"] is None and not used["running_ahead"]
    assert [a["kind"] for a in dash.alerts(p, used, [])] == ["no_plan"]


def test_settlements_per_day_net_out_reversals_on_their_own_day(small):
    p = dash.period_of(2026, APRIL_30)
    days = [(d["day"].isoformat(), d["count"], d["fund_total"]) for d in dash.settlements_by_day(p)]
    assert days == [("2026-03-08", 1, D("4590.00")), ("2026-03-10", 1, D("3450.00")), ("2026-03-12", 1, D("3450.00")),
                    ("2026-03-17", 1, D("3600.00")), ("2026-03-25", 1, D("55.00")), ("2026-04-03", -1, D("-3450.00")),
                    ("2026-04-06", -1, D("-3600.00"))]
    totals = net(Scope(start=p.start, end=p.until))
    assert sum(d[1] for d in days) == totals.count == 3
    assert sum(d[2] for d in days) == totals.fund_total == D("8095.00")


def test_top_facilities_by_cost_leave_out_a_facility_whose_claims_were_all_reversed(small):
    rows = dash.top_facilities(dash.period_of(2026, APRIL_30))
    assert [(r["code"], r["count"], r["total_cost"], r["fund_total"], r["cost_per_episode"]) for r in rows] == [
        ("H610125001", 2, D("14000.00"), D("8040.00"), D("7000.00")),  # A and C (B reversed); 3,450 + 4,590
        ("H610125101", 1, D("100.00"), D("55.00"), D("100.00"))]


def test_drug_share_alerts_per_facility_and_month_above_the_limit(small):
    p = dash.period_of(2026, APRIL_30)
    rows = dash.drug_share_alerts(p, D("45.00"))  # April holds B's reversal only: no share of its own
    assert [(r["name"], r["month"], r["drug_cost"], r["total_cost"], r["drug_share"]) for r in rows] == [
        ("户县人民医院", 3, D("20100.00"), D("21000.00"), D("95.71")),
        ("甘亭镇中心卫生院", 3, D("90.00"), D("100.00"), D("90.00"))]
    assert [r["name"] for r in dash.drug_share_alerts(p, D("90.00"))] == ["户县人民医院"]  # 90.00 is not above
    assert dash.drug_share_alerts(p, D("95.71")) == []
    messages = [a["message"] for a in dash.alerts(p, dash.utilisation(p), rows)]
    assert "户县人民医院 2026 年 3 月药占比 95.71%，超过上限 45.00%" in messages


def test_enrollment_by_township_counts_enrolled_against_the_villages_population(small):
    rows = {r["code"]: r for r in dash.enrollment_by_township(2026)}
    assert (rows["610125199000"]["population"], rows["610125199000"]["enrolled"],
            rows["610125199000"]["rate"]) == (16, 4, D("25.00"))
    (only,) = dash.enrollment_by_township(2026, "610125199")
    assert only["name"] == "试验乡"


def test_a_future_year_is_refused_in_chinese(small):
    with pytest.raises(Exception, match="尚未开始"):
        dash.period_of(2027, APRIL_30)


def test_api_gives_every_panel_to_the_director_and_the_residents_panels_to_a_township(client, login, small):
    login("director")
    body = client.get("/api/stats/dashboard?year=2026").json()
    assert body["county"] is True and len(body["fund_by_month"]) >= 4
    assert body["fund_by_month"][2]["income"] == "1520.00"
    assert body["utilisation"]["per_person"] == "1020.00"
    assert {"2026-03-08", "2026-04-06"} <= {d["day"] for d in body["settlements_by_day"]}
    login("ganting")
    body = client.get("/api/stats/dashboard?year=2026").json()
    assert body["county"] is False and body["fund_by_month"] is None and body["utilisation"] is None
    assert [t["name"] for t in body["enrollment_by_township"]] == ["甘亭镇"]
    login("desk_county")
    assert client.get("/api/stats/dashboard").status_code == 403
    login("director")
    bad = client.get("/api/stats/dashboard?year=2099")
    assert bad.status_code == 400 and "尚未开始" in bad.json()["message"]


def test_the_page_draws_from_a_json_block_and_static_script(client, login, small):
    login("director")
    page = client.get("/stats/dashboard/?year=2026").content.decode()
    assert 'id="dashboard-data" type="application/json"' in page and "web/dashboard.js" in page
    for name in ("fund", "utilisation", "days", "townships", "facilities"):
        assert f'data-dash="{name}"' in page
    assert "<script>" not in page and " onclick=" not in page
    login("ganting")
    page = client.get("/stats/dashboard/?year=2026").content.decode()
    assert 'data-dash="fund"' not in page and "只有县级账号可以查看" in page


def test_the_director_lands_on_the_dashboards_headline(client, login, small):
    login("director")
    page = client.get("/").content.decode()
    assert 'data-testid="home-headline"' in page and 'hx-get="/stats/dashboard/headline/"' in page
    assert 'data-testid="home-todo"' in page
    part = client.get("/stats/dashboard/headline/").content.decode()
    assert "药占比" in part and "超过上限 45.00%" in part and "年基金支出计划执行率" in part
    login("ganting")
    assert client.get("/stats/dashboard/headline/").status_code == 403
    login("reviewer")
    assert 'data-testid="home-headline"' not in client.get("/").content.decode()


def test_the_county_office_sets_the_plan_and_it_is_audited(client, login, small):
    login("reviewer")
    form = {"year": "2026", "planned_share": "85.5", "ahead_margin": "3", "drug_share_limit": "40",
            "authority": "户县合管委〔2026〕2号"}
    assert client.post("/stats/plan/", form).status_code == 302
    plan = FundPlan.objects.get(scheme_year=2026)
    assert (plan.planned_share, plan.ahead_margin, plan.drug_share_limit) == (D("85.50"), D("3.00"), D("40.00"))
    entry = AuditEntry.objects.filter(action="fund_plan.set").latest("seq")
    assert entry.actor_username == "reviewer" and entry.authority == "户县合管委〔2026〕2号"
    bad = client.post("/stats/plan/", {**form, "planned_share": "150"})
    assert bad.status_code == 400 and "计划支出占预计收入比例应在 大于 0、不超过 100 之间" in bad.content.decode()
    assert FundPlan.objects.get(scheme_year=2026).planned_share == D("85.50")
    login("director")  # approves schemes, does not set them
    assert client.post("/stats/plan/", form).status_code == 403
    assert "85.50%" in client.get("/stats/plan/?year=2026").content.decode()

"""/stats/ pages and /api/stats for roles with the reports capability, scoped to the user's jurisdiction."""

import pytest

pytestmark = pytest.mark.django_db


def test_indicators_page_shows_amounts_as_on_every_page(client, login, small):
    login("director")
    page = client.get("/stats/?year=2026&month=3&region=610125199000").content.decode()
    assert "试验乡" in page and "2026 年 3 月" in page
    assert 'data-key="total_cost"><th>医疗总费用</th><td class="num">30,100.00</td>' in page
    assert 'data-key="effective_ratio"><th>实际补偿比（统筹基金）</th><td class="num">46.53</td>' in page


def test_a_township_clerk_sees_only_their_township(client, login, small):
    login("ganting")
    page = client.get("/stats/?year=2026&month=3").content.decode()
    assert "甘亭镇" in page and "试验乡" not in page
    refused = client.get("/stats/?year=2026&region=610125199000")
    assert refused.status_code == 404 and "不在您的管辖范围内" in refused.content.decode()
    fund = client.get("/stats/reports/fund-monthly/?year=2026&month=3")
    assert fund.status_code == 403 and "只有县级账号" in fund.content.decode()


def test_a_hospital_desk_has_no_statistics(client, login, small):
    login("desk_county")
    assert client.get("/stats/").status_code == 403
    assert client.get("/api/stats/indicators").status_code == 403


def test_the_menu_offers_statistics_to_the_director_only(client, login, small):
    login("director")
    assert "统计报表" in client.get("/").content.decode()
    login("desk_county")
    assert "统计报表" not in client.get("/").content.decode()


def test_ledgers_page_says_the_three_levels_agree(client, login, small):
    login("director")
    page = client.get("/stats/ledgers/?year=2026&month=3&region=610125199000").content.decode()
    assert 'data-testid="ledgers-agree"' in page and "甲村" in page and "乙村" in page and "14,100.00" in page


def test_report_pages_export_excel_and_pdf(client, login, small):
    login("director")
    url = "/stats/reports/reimbursement-monthly/?year=2026&month=3"
    page = client.get(url).content.decode()
    assert "补偿情况月报" in page and "30,100.00" in page and "format=xlsx" in page
    xlsx = client.get(url + "&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK" and ".xlsx" in xlsx["Content-Disposition"]
    pdf = client.get(url + "&format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize(("query", "words"), [
    ("year=26", "不是有效的年份"), ("month=13", "月份“13”超出范围"), ("start=2026-01-01", "须同时填写"),
    ("start=2026-03-01&end=2026-01-01", "早于起始日期"), ("region=999", "行政区划“999”不存在"),
    ("facility_level=x", "机构级别“x”"), ("category=x", "人员类别“x”"), ("facility=NOPE", "医疗机构编码“NOPE”不存在"),
    ("month=1&quarter=1", "只能选一个"),
])
def test_bad_filters_are_refused_in_chinese(client, login, demo, query, words):
    login("director")
    response = client.get(f"/stats/?{query}")
    assert response.status_code == 400 and words in response.content.decode()


def test_api_indicators_ledgers_and_reports(client, login, small):
    login("director")
    body = client.get("/api/stats/indicators?year=2026&month=3&region=610125199000").json()
    values = {i["key"]: i["value"] for i in body["indicators"]}
    assert (values["episodes"], values["total_cost"], values["effective_ratio"]) == (5, "30100.00", "46.53")
    assert body["scope"]["label"] == "2026 年 3 月"
    ledgers = client.get("/api/stats/ledgers?year=2026&month=3&region=610125199000").json()
    assert ledgers["agree"] and [v["name"] for v in ledgers["townships"][0]["villages"]] == ["甲村", "乙村"]
    report = client.get("/api/stats/reports/reimbursement-monthly?year=2026&month=3&region=610125199000").json()
    assert report["tables"][0]["rows"][0][:3] == ["试验乡", 5, "30100.00"]
    refused = client.get("/api/stats/indicators?year=2026&month=13")
    assert refused.status_code == 400 and refused.json()["field"] == "month"


@pytest.mark.parametrize(("username", "shown"), [("director", True), ("finance", True), ("ganting", False)])
def test_the_county_wide_fund_report_is_in_the_menu_of_county_accounts_only(demo, username, shown):
    from nrcms.web.menu import menu_for

    names = {item["name"] for group in menu_for(demo[username]) for item in group["items"]}
    assert "stats_reimbursement_monthly" in names and ("stats_fund_monthly" in names) == shown


HOSTILE = ("2026年", "a\x00b", "长" * 3000, str(10**30), "-1", "2026-13-45")
PARAMS = ("year", "month", "quarter", "start", "end", "region", "facility_level", "facility", "category")


@pytest.mark.parametrize("path", ["/stats/", "/stats/ledgers/", "/stats/reports/reimbursement-monthly/",
                                  "/stats/reports/year-summary/", "/api/stats/indicators"])
def test_hostile_filters_answer_in_chinese_never_500(client, login, demo, path):
    login("director")
    for param in PARAMS:
        for value in HOSTILE:
            response = client.get(path, {param: value})
            assert response.status_code in (200, 400, 404, 422), (param, value[:12], response.status_code)
            if response.status_code != 200:
                text = response.content.decode()
                assert any("\u4e00" <= ch <= "\u9fff" for ch in text), (param, value[:12], text[:200])

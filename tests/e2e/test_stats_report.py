"""A county director opens the monthly reimbursement report from the menu, chooses March 2026, reads the small
county's row and downloads the Excel workbook; the ledgers page says the three levels agree."""

import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stats"))  # the small county the stats tests build


@pytest.fixture
def small(demo, monkeypatch):
    from small_county import build

    return build(demo, monkeypatch)


def test_director_reads_the_monthly_reimbursement_report(page, live_server, browser_login, shot, small):
    browser_login("director")
    page.click("[data-menu=stats_reimbursement_monthly]")
    form = page.get_by_test_id("stats-filters")
    form.locator("input[name=year]").fill("2026")
    form.locator("select[name=month]").select_option("3")
    form.get_by_role("button", name="查看").click()
    page.wait_for_url("**/stats/reports/reimbursement-monthly/?*month=3*")
    assert "户县　2026 年 3 月" in page.locator("h1").inner_text()
    by_township = page.get_by_test_id("report-table").first
    row = by_township.locator("tr", has_text="试验乡").inner_text().split("\t")
    assert row[:4] == ["试验乡", "5", "30,100.00", "14,005.00"]
    shot(page, "stats-reimbursement-monthly")
    with page.expect_download() as download:
        page.get_by_test_id("export-xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    page.click("[data-menu=stats_ledgers]")
    form = page.get_by_test_id("stats-filters")
    form.locator("select[name=month]").select_option("3")
    form.locator("select[name=region]").select_option("610125199000")
    form.get_by_role("button", name="查看").click()
    assert "三级台账逐项核对一致" in page.get_by_test_id("ledgers-agree").inner_text()
    shot(page, "stats-ledgers")


def test_director_reads_the_year_summary(page, live_server, browser_login, shot, small):
    """The year summary: its kinds of reimbursement come from the indicators' one query and its townships from the
    ledgers without the villages — the kinds add up to the indicators' settlements, the small township has its 4
    enrolled persons."""
    browser_login("director")
    page.click("[data-menu=stats_year_summary]")
    form = page.get_by_test_id("stats-filters")
    form.locator("input[name=year]").fill("2026")
    form.get_by_role("button", name="查看").click()
    page.wait_for_url("**/stats/reports/year-summary/?*year=2026*")
    tables = page.get_by_test_id("report-table")
    indicators = {cells[1]: cells[2] for cells in (r.split("\t") for r in tables.nth(0).locator("tr").all_inner_texts())
                  if len(cells) > 2}
    kinds = [r.split("\t") for r in tables.nth(1).locator("tr").all_inner_texts()[1:]]
    assert [k[0] for k in kinds] == ["县内住院", "县外住院", "门诊"]
    assert sum(int(k[1]) for k in kinds) == int(indicators["结算人次"]) > 0
    township = tables.nth(2).locator("tr", has_text="试验乡").inner_text().split("\t")
    assert township[1] == "4"
    shot(page, "stats-year-summary")

"""The county office's reports on the small county: data, Excel with Chinese headers, PDF, and `nrcms report`."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from small_county import PREFIX

from nrcms.stats.render import report_pdf, report_xlsx
from nrcms.stats.reports import report_build
from nrcms.stats.scope import Scope

pytestmark = pytest.mark.django_db

COUNTY_MARCH = Scope(dt.date(2026, 3, 1), dt.date(2026, 3, 31), "610125", "户县")


def rows_of(table) -> dict:
    return {row[0]: row for row in table.rows}


def test_fund_monthly_report_income_spending_and_balance(small):
    report = report_build("fund-monthly", COUNTY_MARCH)
    bank, fund = (rows_of(t) for t in report.tables)
    # the special account: contributions in (1,520.00), D's manual claim paid out of it (3,600.00)
    assert bank["收入：个人缴费（扣除冲销）"][1] == Decimal("1520.00")
    assert bank["支出：手工报销支付给患者"][1] == Decimal("3600.00")
    assert bank["本期末余额"][1] - bank["上期末余额"][1] == Decimal("1520.00") - Decimal("3600.00")
    assert (fund["基金收入（缴费与财政补助应收）"][1], fund["基金支出（补偿，扣除违规扣款）"][1]) == (
        Decimal("1520.00"), Decimal("14005.00"))
    assert fund["本期结余"][1] == Decimal("-12485.00")


def test_reimbursement_monthly_by_township_facility_and_kind_agree(small):
    report = report_build("reimbursement-monthly", COUNTY_MARCH)
    townships, facilities, kinds = report.tables
    shiyan = rows_of(townships)["试验乡"]
    assert shiyan[1:4] == [5, Decimal("30100.00"), Decimal("14005.00")]
    assert shiyan[7:] == [Decimal("15145.00"), Decimal("50.32")]
    totals = [rows_of(t)["合计"] for t in (townships, facilities, kinds)]
    assert totals[0][1:] == totals[1][2:] == totals[2][1:]  # three ways of cutting the same settlements
    assert rows_of(kinds)["县外住院"][1:3] == [1, Decimal("9000.00")]


def test_year_summary_holds_the_indicators_and_the_tables(small):
    report = report_build("year-summary", Scope(dt.date(2026, 1, 1), dt.date(2026, 12, 31), PREFIX, "试验乡"))
    indicators = {row[1]: row[2] for row in report.tables[0].rows}
    assert indicators["结算人次"] == 3 and indicators["医疗总费用"] == Decimal("14100.00")
    assert indicators["县外住院转诊率"] == "—"
    assert [t.caption for t in report.tables] == ["主要指标", "按补偿类别", "按乡镇", "定点医疗机构药占比与政策范围外费用占比"]


def test_excel_has_chinese_headers_and_amounts_as_numbers(small):
    wb = load_workbook(io.BytesIO(report_xlsx(report_build("reimbursement-monthly", COUNTY_MARCH))))
    cells = [[c.value for c in row] for row in wb.active.iter_rows()]
    assert cells[0][0] == "新型农村合作医疗补偿情况月报" and cells[1][0] == "户县　2026 年 3 月"
    header = next(row for row in cells if row[0] == "乡镇")
    assert header[:4] == ["乡镇", "结算人次", "医疗总费用（元）", "基本医疗补偿（元）"]
    shiyan = next(row for row in wb.active.iter_rows() if row[0].value == "试验乡")
    assert shiyan[2].value == Decimal("30100.00") or shiyan[2].value == 30100
    assert shiyan[2].number_format == "#,##0.00"


def test_pdf_is_a_pdf_with_the_title(small):
    content = report_pdf(report_build("year-summary", COUNTY_MARCH), office="户县新型农村合作医疗管理办公室")
    assert content.startswith(b"%PDF") and len(content) > 10_000


def test_the_command_writes_the_report(small, tmp_path, monkeypatch):
    from django.db import connections

    from nrcms.cli import main

    monkeypatch.setattr(connections, "close_all", lambda: None)
    out = tmp_path / "r.xlsx"
    assert main(["report", "reimbursement-monthly", "--year", "2026", "--month", "3", "--region", "610125199000",
                 "--format", "xlsx", "--out", str(out)]) == 0
    cells = [[c.value for c in row] for row in load_workbook(out).active.iter_rows()]
    assert cells[1][0] == "试验乡　2026 年 3 月" and any(row[0] == "试验乡" for row in cells)
    pdf = tmp_path / "f.pdf"
    assert main(["report", "fund-monthly", "--year", "2026", "--month", "3", "--format", "pdf", "--out", str(pdf)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")


def test_the_command_refuses_a_monthly_report_without_a_month(small, tmp_path, monkeypatch):
    from django.core.management import CommandError, call_command
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)
    with pytest.raises(CommandError, match="须给出 --month"):
        call_command("report", "fund-monthly", "--year", "2026", "--format", "xlsx", "--out", str(tmp_path / "x"))
    with pytest.raises(CommandError, match="月份“13”超出范围"):
        call_command("report", "fund-monthly", "--year", "2026", "--month", "13", "--format", "xlsx",
                     "--out", str(tmp_path / "x"))


def test_the_year_end_close_moves_nothing_out_of_the_fund_or_the_family_accounts(demo):
    """On its closing day the family accounts' money sits in 3109 (carried forward): the accumulated surplus and
    the family accounts' balance that day stay what they were before the close."""
    from nrcms.funding.year_close import year_close
    from nrcms.stats import fund

    day = dt.date(2025, 12, 31)
    before = (fund.fund_flow(dt.date(2025, 1, 1), day).balance, fund.family_accounts_balance(day))
    assert before[1] > 0  # the demo's contributions for 2026, collected in the autumn of 2025
    year_close(year=2025, actor=demo["finance"], closing_date=day, authority="测试")
    assert (fund.fund_flow(dt.date(2025, 1, 1), day).balance, fund.family_accounts_balance(day)) == before

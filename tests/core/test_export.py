"""The Excel export, read back from a real written workbook: empty text is an empty cell, numbers stay numbers,
and text a spreadsheet would run as a formula stays literal."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from nrcms.core.export import xlsx_bytes


def read_back(rows, headers=("姓名", "备注", "金额")):
    ws = load_workbook(io.BytesIO(xlsx_bytes("导出", list(headers), rows))).active
    return [[c.value for c in row] for row in ws.iter_rows(min_row=2, max_col=len(headers))]


def test_empty_text_is_an_empty_cell_not_an_apostrophe():
    assert read_back([["王德福", "", Decimal("12.50")], ["", None, 3]]) == [
        ["王德福", None, 12.5], [None, None, 3]]


@pytest.mark.parametrize("text", ["=1+1", "+8613800000001", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1",
                                  '=HYPERLINK("http://x.example","点我")'])
def test_text_a_spreadsheet_would_run_as_a_formula_stays_literal(text):
    ws = load_workbook(io.BytesIO(xlsx_bytes("导出", ["备注"], [[text]]))).active
    cell = ws["A2"]
    # read back, XML turns a bare carriage return into a line feed; the apostrophe is what matters
    assert cell.data_type == "s" and cell.value == "'" + text.replace("\r", "\n")


def test_ordinary_text_dates_and_other_values_are_written_as_they_are():
    assert read_back([["陈小燕", "东韩村一组", dt.date(2026, 5, 10)], ["a=b", "1-2", True]]) == [
        ["陈小燕", "东韩村一组", "2026-05-10"], ["a=b", "1-2", True]]


def test_text_from_an_object_is_guarded_too():
    class Named:
        def __str__(self):
            return "=cmd|' /C calc'!A0"

    assert read_back([["x", Named(), 1]])[0][1] == "'=cmd|' /C calc'!A0"


def test_money_columns_stay_numbers_shown_with_thousands_and_two_decimals():
    ws = load_workbook(io.BytesIO(xlsx_bytes("导出", ["姓名", "金额（元）", "人数"],
                                             [["王德福", Decimal("1234.5"), 3], ["李四", Decimal("-380"), 1]]))).active
    assert [ws["B2"].value, ws["B3"].value] == [1234.5, -380]
    assert [ws["B2"].number_format, ws["B3"].number_format] == ["#,##0.00", "#,##0.00"]
    assert ws["C2"].number_format == "General"  # a count is not money

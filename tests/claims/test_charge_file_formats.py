"""Charge files as Excel writes them: a .csv saved by Excel on Chinese Windows (GBK, dates as 2026/5/10,
amounts with thousands separators and ￥, full-width digits typed with a Chinese input method) and an .xlsx
with date cells, currency-formatted number cells, text dates and serial day numbers. Every refusal names
its row and column."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from claims_factory import admitted
from django.core.files.uploadedfile import SimpleUploadedFile

from nrcms.claims.charge_file import parse_charge_file
from nrcms.claims.models import ChargeLine
from nrcms.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db

HEADER = "明细序号,院内编码,项目名称,费用日期,数量,单价,金额"
EXCEL_CSV = "\r\n".join([
    HEADER,
    '1,5001-ZL0001,普通病房床位费,2026/5/10,10,30,300',
    '2,5001-YP0106,注射用尿激酶,2026-05-11 00:00:00,4,"1,500.00","￥6,000.00"',
    '3,5001-YP0201,人血白蛋白,46154,2,350.00,￥700.00',
    '４,5001-ZL0001,普通病房床位费,２０２６／５／１２,１,３０．００,３０．００',
    '5,5001-ZL0001,普通病房床位费,2026年5月13日,1,30,30.00元',
]) + "\r\n"
EXPECTED = [
    (1, dt.date(2026, 5, 10), Decimal("10"), Decimal("30"), Decimal("300.00")),
    (2, dt.date(2026, 5, 11), Decimal("4"), Decimal("1500.00"), Decimal("6000.00")),
    (3, dt.date(2026, 5, 12), Decimal("2"), Decimal("350.00"), Decimal("700.00")),
    (4, dt.date(2026, 5, 12), Decimal("1"), Decimal("30.00"), Decimal("30.00")),
    (5, dt.date(2026, 5, 13), Decimal("1"), Decimal("30"), Decimal("30.00")),
]


def read(lines):
    return [(x.line_no, x.charged_on, x.quantity, x.unit_price, x.amount) for x in lines]


def excel_workbook(title_row: bool = False) -> bytes:
    """What a hospital's Excel sheet holds: number cells (floats, currency format), date cells, a text date,
    a serial day number in a General cell, a formula-like float; optionally a title row above the header."""
    book = openpyxl.Workbook()
    sheet = book.active
    if title_row:
        sheet.append(["户县人民医院住院费用明细（2026 年 5 月）"])
    sheet.append(HEADER.split(","))
    sheet.append([1, "5001-ZL0001", "普通病房床位费", dt.datetime(2026, 5, 10), 10, 30, 300])
    sheet.append([2.0, "5001-YP0106", "注射用尿激酶", "2026/5/11", 4.0, 1500.0, 6000.0])
    sheet.append([3, "5001-YP0201", "人血白蛋白", 46155, 2, 350, 3 * 233.33333333333334])
    sheet.append([4, "5001-ZL0001", "普通病房床位费", "２０２６－０５－１３ ００：００：００", "１", "30", "￥30.00"])
    for row in sheet.iter_rows(min_row=sheet.max_row - 3):
        row[3].number_format = "yyyy/m/d"
        row[5].number_format = row[6].number_format = '"￥"#,##0.00'
    content = io.BytesIO()
    book.save(content)
    return content.getvalue()


def test_a_csv_saved_by_excel_on_chinese_windows_is_read():
    assert read(parse_charge_file("费用明细.csv", EXCEL_CSV.encode("gbk"))) == EXPECTED


def test_an_xlsx_with_excel_cells_is_read():
    lines = parse_charge_file("费用明细.xlsx", excel_workbook())
    assert read(lines) == [
        (1, dt.date(2026, 5, 10), Decimal("10"), Decimal("30"), Decimal("300.00")),
        (2, dt.date(2026, 5, 11), Decimal("4"), Decimal("1500"), Decimal("6000.00")),
        (3, dt.date(2026, 5, 13), Decimal("2"), Decimal("350"), Decimal("700.00")),
        (4, dt.date(2026, 5, 13), Decimal("1"), Decimal("30"), Decimal("30.00")),
    ]
    assert all(isinstance(x.amount, Decimal) and x.amount.as_tuple().exponent == -2 for x in lines)


def test_a_title_row_above_the_column_names_is_skipped_and_rows_keep_excel_numbers():
    content = excel_workbook(title_row=True)
    assert len(parse_charge_file("费用明细.xlsx", content)) == 4
    book = openpyxl.load_workbook(io.BytesIO(content))
    book.active["G4"] = "12,34.00"  # Excel row 4: the second charge line
    broken = io.BytesIO()
    book.save(broken)
    with pytest.raises(ValidationFailed) as exc:
        parse_charge_file("费用明细.xlsx", broken.getvalue())
    assert exc.value.message.startswith("第 4 行“金额”列：“12,34.00”不是有效的金额")


def test_every_bad_cell_is_named_by_row_and_column():
    bad = "\r\n".join([HEADER, "1,5001-ZL0001,床位费,2026/5/10,10,30,300",
                       "2,5001-ZL0001,床位费,23/05/2026,十,30,￥3O0.00",
                       "3.5,5001-ZL0001,床位费,2026/2/30,1,30,30.001"])
    with pytest.raises(ValidationFailed) as exc:
        parse_charge_file("费用明细.csv", bad.encode("gbk"))
    problems = [d["message"] for d in exc.value.details]
    assert problems == [
        "第 3 行“费用日期”列：“23/05/2026”不是可识别的日期（如 2026-11-23、2026/11/23、2026年11月23日；年份在前）",
        "第 3 行“数量”列：“十”不是有效的数量（如 1250、1250.00、1,250.00、￥1,250.00；千分位逗号须每三位一个）",
        "第 3 行“金额”列：“￥3O0.00”不是有效的金额（如 1250、1250.00、1,250.00、￥1,250.00；千分位逗号须每三位一个）",
        "第 4 行“明细序号”列：“3.5”应为整数序号，不能有小数",
        "第 4 行“费用日期”列：“2026/2/30”不是存在的日期（2026 年 2 月没有 30 日）",
        "第 4 行“金额”列：金额“30.001”精确到分以下（最多两位小数）",
    ]
    assert exc.value.message == "；".join(problems) and exc.value.field == "file"


def test_an_empty_amount_cell_is_named():
    with pytest.raises(ValidationFailed, match="第 2 行“金额”列：不能为空，应填写金额"):
        parse_charge_file("费用明细.csv", (HEADER + "\n1,5001-ZL0001,床位费,2026/5/10,10,30,\n").encode())


def test_missing_columns_are_listed():
    with pytest.raises(ValidationFailed, match="缺少列：金额"):
        parse_charge_file("费用明细.csv", "明细序号,院内编码,项目名称,费用日期,数量,单价\n1,a,b,2026/5/10,1,1\n".encode())


def test_the_desk_page_takes_an_excel_workbook(client, login, family):
    desk = login("desk_county")
    episode = admitted(desk, family.head, discharge=None, lines=[("5001-ZL0001", "10", "30", "300.00")])
    upload = SimpleUploadedFile("费用明细.xlsx", excel_workbook())
    response = client.post(f"/desk/episodes/{episode.pk}/", {"action": "file", "file": upload}, follow=True)
    html = response.content.decode()
    assert "新增 3 行，未变化 1 行" in html, html[:3000]
    assert ChargeLine.objects.get(episode=episode, line_no=2).amount == Decimal("6000.00")


def test_the_desk_page_names_the_bad_cell(client, login, family):
    desk = login("desk_county")
    episode = admitted(desk, family.head, discharge=None)
    bad = (HEADER + "\r\n7,5001-ZL0001,床位费,2026/5/10,1,30,\"3,0.00\"\r\n").encode("gbk")
    html = client.post(f"/desk/episodes/{episode.pk}/",
                       {"action": "file", "file": SimpleUploadedFile("费用明细.csv", bad)}).content.decode()
    assert "第 2 行“金额”列：“3,0.00”不是有效的金额" in html

"""The spreadsheet parsing helper reads what Excel writes and refuses the rest with a Chinese sentence."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nrcms.core.parsing import (
    ParseError,
    excel_serial_date,
    parse_amount,
    parse_date,
    parse_number,
    parse_quantity,
    parse_ratio,
    parse_whole,
    where,
)

FULL_WIDTH = str.maketrans("0123456789.,-/:%", "０１２３４５６７８９．，－／：％")

amounts = st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"), places=2,
                      allow_nan=False, allow_infinity=False)
dates = st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2173, 10, 14))


def with_thousands(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def excel_serial(day: dt.date) -> int:
    return (day - dt.date(1899, 12, 30)).days


# --- amounts -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["1250", "1250.00", "1,250.00", "￥1,250.00", "¥1,250.00", "１２５０．００",
                                  "￥１，２５０．００", " 1250.00 ", "1250.00元", "RMB 1,250.00", 1250, 1250.0,
                                  Decimal("1250.00")])
def test_excel_amount_formats_read_as_the_same_amount(text):
    assert parse_amount(text) == Decimal("1250.00")


@given(amounts)
def test_every_way_excel_writes_an_amount_reads_back_exactly(amount):
    shown = with_thousands(amount)
    for text in (str(amount), shown, "￥" + shown if amount >= 0 else "-￥" + shown[1:], shown.translate(FULL_WIDTH)):
        assert parse_amount(text) == amount, text


@given(amounts)
def test_a_number_cell_float_reads_as_excel_shows_it(amount):
    assert parse_amount(float(amount)) == amount


def test_a_formula_result_with_binary_noise_reads_to_the_fen():
    assert parse_amount(3 * 33.33) == Decimal("99.99")  # 99.99000000000001 as a float
    assert parse_amount(0.1 + 0.2) == Decimal("0.30")


@pytest.mark.parametrize("text", ["12,34.00", "1,2345", "1.2.3", "1e3", "abc", "¥", "--5", "1,250.00.00"])
def test_text_that_is_not_a_number_is_refused_with_the_value_quoted(text):
    with pytest.raises(ParseError, match=f"“{text}”不是有效的金额"):
        parse_amount(text)


def test_an_amount_below_the_fen_is_refused_not_rounded():
    with pytest.raises(ParseError, match="精确到分以下"):
        parse_amount("1,250.005")


@pytest.mark.parametrize("value, message", [("", "不能为空"), (None, "不能为空"), ("　", "不能为空"),
                                            (True, "逻辑值 TRUE"), (float("nan"), "不是有限的数字")])
def test_empty_and_odd_cells_are_refused(value, message):
    with pytest.raises(ParseError, match=message):
        parse_amount(value)


@given(st.text(max_size=30))
def test_any_text_either_parses_or_raises_parse_error(text):
    try:
        number = parse_number(text)
    except ParseError as exc:
        assert str(exc)
    else:
        assert number.is_finite()


# --- quantities, whole numbers, ratios --------------------------------------------------------------------

def test_quantities_keep_up_to_four_places():
    assert parse_quantity("2.5") == Decimal("2.5")
    assert parse_quantity("１０") == Decimal("10")
    assert parse_quantity(0.3333) == Decimal("0.3333")
    with pytest.raises(ParseError, match="最多 4 位小数"):
        parse_quantity("0.33333")


def test_whole_numbers_from_number_cells_and_full_width_text():
    assert parse_whole(3.0) == 3 and parse_whole("３") == 3 and parse_whole("1,024") == 1024
    with pytest.raises(ParseError, match="不能有小数"):
        parse_whole("3.5")


@pytest.mark.parametrize("text", ["0.2", "20%", "２０％", 0.2, "20.0%"])
def test_ratios_as_fractions_or_percentages(text):
    assert parse_ratio(text) == Decimal("0.2")


def test_a_ratio_outside_zero_to_one_is_refused():
    with pytest.raises(ParseError, match="应在 0 与 1 之间"):
        parse_ratio("120%")


# --- dates ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["2026-11-23", "2026/11/23", "2026.11.23", "2026年11月23日", "2026-11-23 00:00:00",
                                   "2026/11/23 8:30", "2026-11-23T00:00:00", "20261123", "46349", "46349.5",
                                   46349, 46349.0, 20261123, "２０２６／１１／２３", "２０２６－１１－２３　００：００：００",
                                   dt.date(2026, 11, 23), dt.datetime(2026, 11, 23, 9, 15)])
def test_excel_date_formats_read_as_the_same_day(value):
    assert parse_date(value) == dt.date(2026, 11, 23)


@given(dates)
def test_every_way_excel_writes_a_date_reads_back(day):
    for value in (day.isoformat(), f"{day.year}/{day.month}/{day.day}", f"{day:%Y-%m-%d} 00:00:00",
                  f"{day.year}年{day.month}月{day.day}日", f"{day:%Y%m%d}", excel_serial(day),
                  float(excel_serial(day)) + 0.25, str(excel_serial(day)), f"{day.year}/{day.month}/{day.day}".translate(FULL_WIDTH)):
        assert parse_date(value) == day, value


def test_excel_serials_follow_the_1900_system_and_its_leap_day_bug():
    assert excel_serial_date(1) == dt.date(1900, 1, 1)
    assert excel_serial_date(59) == dt.date(1900, 2, 28)
    assert excel_serial_date(61) == dt.date(1900, 3, 1)
    with pytest.raises(ParseError, match="1900-02-29"):
        excel_serial_date(60)


@pytest.mark.parametrize("text, message", [
    ("2026/2/30", "2026 年 2 月没有 30 日"), ("2026-13-01", "月份 13"), ("23/11/2026", "年份在前"),
    ("11/23/2026", "年份在前"), ("明天", "不是可识别的日期"), ("", "不能为空"), ("0", "Excel 日期序号"),
])
def test_unreadable_dates_are_refused_with_the_reason(text, message):
    with pytest.raises(ParseError, match=message):
        parse_date(text)


@given(st.text(max_size=30))
def test_any_text_either_is_a_date_or_raises_parse_error(text):
    try:
        day = parse_date(text)
    except ParseError as exc:
        assert str(exc)
    else:
        assert isinstance(day, dt.date)


def test_where_names_row_and_column():
    assert where(3, "金额", ParseError("“x”不是有效的金额")) == "第 3 行“金额”列：“x”不是有效的金额"


def test_the_helper_imports_nothing_from_django():
    import nrcms.core.parsing as parsing

    source = open(parsing.__file__, encoding="utf-8").read()
    assert "import django" not in source and "from django" not in source


def test_a_number_longer_than_excel_keeps_is_refused_not_a_crash():
    from nrcms.core.parsing import ParseError, parse_amount, parse_quantity, parse_whole

    for reader in (parse_amount, parse_quantity, parse_whole):
        for huge in ("1" + "0" * 5000, 1e300, 10**40, Decimal("1e40")):  # text, number cell, int, Decimal
            with pytest.raises(ParseError, match="过大"):
                reader(huge)
    assert parse_amount("999,999,999,999,999.99") == Decimal("999999999999999.99")

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nrcms.core.money import chinese_capital, from_fen, money, round_amount, to_fen

D = Decimal


@pytest.mark.parametrize(
    "value,rule,expected",
    [("1.005", "fen", "1.01"), ("1.004", "fen", "1.00"), ("433.55", "jiao", "433.60"), ("433.549", "jiao", "433.50"),
     ("433.5", "yuan", "434.00"), ("433.49", "yuan", "433.00"), ("-1.005", "fen", "-1.01"), ("0", "fen", "0.00")],
)
def test_round_amount_half_up_to_each_unit(value, rule, expected):
    assert round_amount(D(value), rule) == D(expected)
    assert str(round_amount(D(value), rule)) == expected


def test_floats_are_refused_everywhere():
    for fn in (round_amount, money, to_fen, chinese_capital):
        with pytest.raises(TypeError):
            fn(0.1)


def test_money_parses_strings_and_refuses_sub_fen_amounts():
    assert money("12.3") == D("12.30") and money(5) == D("5.00")
    with pytest.raises(ValueError):
        money("1.001")
    with pytest.raises(ValueError):
        money("abc")


@pytest.mark.parametrize(
    "amount,text",
    [("4000", "肆仟元整"), ("1234.56", "壹仟贰佰叁拾肆元伍角陆分"), ("0.05", "伍分"), ("1000.05", "壹仟元零伍分"),
     ("100000", "壹拾万元整"), ("0", "零元整"), ("10.5", "壹拾元伍角"), ("1005", "壹仟零伍元整"),
     ("100010", "壹拾万零壹拾元整"), ("6483845.44", "陆佰肆拾捌万叁仟捌佰肆拾伍元肆角肆分"), ("-3.2", "负叁元贰角"),
     ("200000000", "贰亿元整"), ("10001000", "壹仟万壹仟元整"), ("433.52", "肆佰叁拾叁元伍角贰分"),
     ("0.60", "陆角"), ("15000", "壹万伍仟元整"), ("101", "壹佰零壹元整")],
)
def test_chinese_capitals_as_on_receipts(amount, text):
    assert chinese_capital(D(amount)) == text


@given(st.integers(min_value=-10**13, max_value=10**13))
def test_fen_round_trip(fen):
    assert to_fen(from_fen(fen)) == fen


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_rounding_to_the_fen_is_identity_on_fen_amounts(amount):
    assert round_amount(amount) == amount


@given(st.integers(min_value=1, max_value=10**11))
def test_capitals_name_every_amount_and_end_properly(fen):
    text = chinese_capital(from_fen(fen))
    assert text.endswith(("整", "分", "角")) and not text.startswith("零")


def test_format_yuan_separates_thousands_and_keeps_two_decimals_exactly():
    from nrcms.core.money import format_yuan

    assert format_yuan(Decimal("1234.5")) == "1,234.50"
    assert format_yuan(Decimal("1234567.895")) == "1,234,567.90"  # half up, through round_amount
    assert format_yuan(Decimal("-380")) == "-380.00"
    assert format_yuan(Decimal("-0.001")) == "0.00"  # never "-0.00"
    assert format_yuan("4000.00") == "4,000.00"
    assert format_yuan(999) == "999.00"
    # exact beyond float precision: 12,345,678,901,234.57 would not survive a float
    assert format_yuan(Decimal("12345678901234.565")) == "12,345,678,901,234.57"


def test_format_yuan_refuses_floats():
    from nrcms.core.money import format_yuan

    with pytest.raises(TypeError):
        format_yuan(0.1)

"""Dates, amounts, quantities and whole numbers as spreadsheets hand them over. Pure Python, no Django.

What Excel (Chinese Windows) and the hospitals' exports write, all accepted:
- dates: date/datetime cells; `2026-11-23`, `2026/11/23`, `2026/1/5`, `2026.11.23`, `2026年11月23日`, each
  optionally followed by a time (`2026-11-23 00:00:00`, `2026/11/23 8:30`, `2026-11-23T00:00:00`);
  `20261123`; Excel serial day numbers (`46349`, also as a number cell, with or without a time fraction).
  Day-first or month-first forms (`23/11/2026`, `11/23/2026`) are refused: they cannot be told apart.
- numbers: number cells; `1250`, `1250.00`, `1,250.00` (groups of three only), `￥1,250.00`, `¥1250`,
  `1250.00元`, a leading `-` or `+`; everything also in full-width characters (`１２５０．００`, `－`, `，`).
  A number cell comes back from the workbook as a binary float: it is read the way Excel shows it, to 15
  significant digits (so a formula's 99.99000000000001 is 99.99), and never becomes money as a float.

Every refusal is a ParseError (a ValueError) whose message is a Chinese sentence about the value only; the
caller adds where it was: `第 3 行“金额”列：“12,34.00”不是有效的数字……` (see `where`)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from .money import FEN

# 1900 date system. Excel counts 1900-02-29 (serial 60), a day that did not exist (Lotus 1-2-3's bug), so
# from serial 61 on, day 0 is 1899-12-30.
EXCEL_EPOCH = dt.date(1899, 12, 30)
EXCEL_SERIAL_MAX = 2958465  # 9999-12-31
EXCEL_SIGNIFICANT_DIGITS = 15

_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+")
_CURRENCY = ("￥", "¥", "RMB", "CNY")
_DATE = re.compile(
    r"(?P<y>\d{4})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_COMPACT_DATE = re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})")
_SERIAL = re.compile(r"\d{1,5}(?:\.\d+)?")  # up to 99999 (2173-10-14); 8 digits are yyyymmdd
NUMBER_EXAMPLES = "如 1250、1250.00、1,250.00、￥1,250.00"
DATE_EXAMPLES = "如 2026-11-23、2026/11/23、2026年11月23日"


class ParseError(ValueError):
    """A value that cannot be read; str(error) is a Chinese sentence naming the value and the rule."""


def where(row: int, column: str, error: ParseError | str) -> str:
    """`第 3 行“金额”列：……`: the one way a file's refusal names its place."""
    return f"第 {row} 行“{column}”列：{error}"


def normalize(text: str) -> str:
    """Full-width digits, letters and punctuation (what a Chinese input method types) as ASCII; the
    ideographic space as a space; outer spaces dropped (NFKC also turns the full-width ￥ into ¥)."""
    return unicodedata.normalize("NFKC", text).replace("\u3000", " ").strip()


def _shown(value) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text.strip()[:40]


def _from_float(value: float) -> Decimal:
    """A number cell (a binary double in the workbook, as openpyxl and calamine hand it over) turned into a
    Decimal at once, through the 15 significant digits Excel shows: the float never reaches an amount."""
    if value != value or value in (float("inf"), float("-inf")):
        raise ParseError("单元格的值不是有限的数字")
    return Decimal(format(value, f".{EXCEL_SIGNIFICANT_DIGITS}g"))


MAX_WHOLE_DIGITS = 15  # Excel keeps 15 significant digits; a longer number is a mistake in the file


def parse_number(value, *, what: str = "数字") -> Decimal:
    """A number from a cell or text (see the module's list). `what` names the kind in the refusal. Whatever
    the cell held, a number longer than Excel keeps is refused (it would also break Decimal's precision)."""
    number = _read_number(value, what)
    if number and number.adjusted() >= MAX_WHOLE_DIGITS:
        raise ParseError(f"{what}“{_shown(value)}”过大（整数部分最多 {MAX_WHOLE_DIGITS} 位）")
    return number


def _read_number(value, what: str) -> Decimal:
    if isinstance(value, bool):
        raise ParseError(f"应为{what}，读到的是逻辑值 {'TRUE' if value else 'FALSE'}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ParseError(f"“{value}”不是有效的{what}")
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return _from_float(value)
    if value is None:
        raise ParseError(f"不能为空，应填写{what}")
    if not isinstance(value, str):
        raise ParseError(f"应为{what}，读到的是 {type(value).__name__}")
    text = normalize(value)
    if not text:
        raise ParseError(f"不能为空，应填写{what}")
    for mark in _CURRENCY:
        text = text.removeprefix(mark)
    text = text.removesuffix("元").replace(" ", "")
    sign = ""
    if text and text[0] in "+-":
        sign, text = text[0], text[1:]
        for mark in _CURRENCY:  # -￥1,250.00
            text = text.removeprefix(mark)
    if not _NUMBER.fullmatch(text):
        raise ParseError(f"“{_shown(value)}”不是有效的{what}（{NUMBER_EXAMPLES}；千分位逗号须每三位一个）")
    try:
        number = Decimal(sign + text.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only plain decimals
        raise ParseError(f"“{_shown(value)}”不是有效的{what}") from exc
    return number


def parse_amount(value, *, what: str = "金额") -> Decimal:
    """An amount of money: a number exact to the fen (分), returned with two decimals. Never rounds: an
    amount finer than a fen is a mistake in the file, not something to settle quietly."""
    number = parse_number(value, what=what)
    if number != number.quantize(FEN):
        raise ParseError(f"{what}“{_shown(value)}”精确到分以下（最多两位小数）")
    return number.quantize(FEN)


def parse_quantity(value, *, places: int = 4, what: str = "数量") -> Decimal:
    """A quantity (doses, days, pieces): a number with at most `places` decimals."""
    number = parse_number(value, what=what)
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise ParseError(f"{what}“{_shown(value)}”最多 {places} 位小数")
    return number


def parse_whole(value, *, what: str = "整数") -> int:
    """A whole number such as a line number: `3`, `3.0` (a number cell), `３`."""
    number = parse_number(value, what=what)
    if number != number.to_integral_value():
        raise ParseError(f"“{_shown(value)}”应为{what}，不能有小数")
    return int(number)


def parse_ratio(value, *, what: str = "比例") -> Decimal:
    """A share between 0 and 1: `0.2`, `20%`, `２０％`."""
    text = normalize(value) if isinstance(value, str) else value
    percent = isinstance(text, str) and text.endswith("%")
    number = parse_number(text[:-1] if percent else text, what=what)
    if percent:
        number = number / 100
    if not Decimal(0) <= number <= Decimal(1):
        raise ParseError(f"{what}“{_shown(value)}”应在 0 与 1 之间（如 0.2 或 20%）")
    return number


def excel_serial_date(serial: Decimal | int | float) -> dt.date:
    """Excel's day number (1900 date system) as a date; a time fraction is dropped."""
    day = int(Decimal(str(serial)))
    if not 1 <= day <= EXCEL_SERIAL_MAX:
        raise ParseError(f"“{serial}”不是有效的 Excel 日期序号（应在 1 到 {EXCEL_SERIAL_MAX} 之间）")
    if day == 60:
        raise ParseError("Excel 日期序号 60 是不存在的 1900-02-29")
    return EXCEL_EPOCH + dt.timedelta(days=day if day > 60 else day + 1)


def _ymd(value, year: str, month: str, day: str) -> dt.date:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError as exc:
        raise ParseError(f"“{_shown(value)}”不是存在的日期（{year} 年 {int(month)} 月没有 {int(day)} 日）"
                         if 1 <= int(month) <= 12 else f"“{_shown(value)}”的月份 {int(month)} 不在 1 到 12 之间") from exc


def parse_date(value, *, what: str = "日期") -> dt.date:
    """A date from a cell or text (see the module's list)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ParseError(f"应为{what}，读到的是逻辑值 {'TRUE' if value else 'FALSE'}")
    if isinstance(value, int | float | Decimal):
        value = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not value.is_finite():
            raise ParseError(f"单元格的值不是有效的{what}")
        if value == value.to_integral_value() and 10000101 <= value <= 99991231:
            compact = str(int(value))  # a number cell holding 20261123
            return _ymd(value, compact[:4], compact[4:6], compact[6:])
        return excel_serial_date(value)
    if value is None:
        raise ParseError(f"不能为空，应填写{what}")
    if not isinstance(value, str):
        raise ParseError(f"应为{what}，读到的是 {type(value).__name__}")
    text = normalize(value)
    if not text:
        raise ParseError(f"不能为空，应填写{what}")
    if match := _DATE.fullmatch(text):
        return _ymd(value, match["y"], match["m"], match["d"])
    if match := _COMPACT_DATE.fullmatch(text):
        return _ymd(value, match["y"], match["m"], match["d"])
    if _SERIAL.fullmatch(text):
        return excel_serial_date(Decimal(text))
    raise ParseError(f"“{_shown(value)}”不是可识别的{what}（{DATE_EXAMPLES}；年份在前）")

"""Numbers, years and dates read from a request's query string or form, validated at the edge.

A view never calls int() on what a user typed: `?year=2026年` or `?line_no=abc` becomes an NrcmsError naming the
field and the rule, which the pages show as a Chinese 400 (web/error.html) and the API as its error shape.
Pure helpers over any mapping (QueryDict, dict), so views of every app and the API can share them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from nrcms.core.errors import NrcmsError

# The largest value a PostgreSQL integer (and so any id or count column) holds.
INT_MAX = 2**31 - 1
YEAR_MIN, YEAR_MAX = 2000, 2100


def _text(data: Mapping, name: str) -> str:
    value = data.get(name)
    return "" if value is None else str(value).strip()


def parse_int(text: str, *, field: str, label: str, min_value: int = 0, max_value: int = INT_MAX) -> int:
    """One whole number within [min_value, max_value], or an NrcmsError naming the field."""
    shown = text if len(text) <= 20 else text[:20] + "…"
    if not (text.isascii() and text.lstrip("-").isdigit()):
        raise NrcmsError("invalid", f"{label}“{shown}”不是整数，请只填写数字", field=field)
    value = int(text) if len(text) <= 20 else max_value + 1  # int() of thousands of digits is slow on purpose
    if not min_value <= value <= max_value:
        raise NrcmsError("invalid", f"{label}“{shown}”超出范围，应在 {min_value} 到 {max_value} 之间", field=field)
    return value


def int_param(data: Mapping, name: str, label: str, *, default: int | None = None, min_value: int = 0,
              max_value: int = INT_MAX) -> int | None:
    """An optional whole number: `default` when the parameter is absent or blank."""
    text = _text(data, name)
    if not text:
        return default
    return parse_int(text, field=name, label=label, min_value=min_value, max_value=max_value)


def year_param(data: Mapping, name: str = "year", label: str = "年度", *, default: int | None) -> int | None:
    """A scheme year such as 2026 (four digits, 2000–2100); `default` when absent or blank."""
    text = _text(data, name)
    if not text:
        return default
    if not (len(text) == 4 and text.isascii() and text.isdigit()):
        shown = text if len(text) <= 20 else text[:20] + "…"
        raise NrcmsError("invalid", f"{label}“{shown}”不是有效的年份，应为四位数字，如 2026", field=name)
    return parse_int(text, field=name, label=label, min_value=YEAR_MIN, max_value=YEAR_MAX)


def date_param(data: Mapping, name: str, label: str, *, default: dt.date | None = None) -> dt.date | None:
    """A date written YYYY-MM-DD; `default` when absent or blank."""
    text = _text(data, name)
    if not text:
        return default
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        shown = text if len(text) <= 20 else text[:20] + "…"
        raise NrcmsError("invalid", f"{label}“{shown}”不是有效日期，应写成 YYYY-MM-DD", field=name) from None


def int_list_param(values, name: str, label: str) -> list[int]:
    """Several whole numbers (checkbox values such as the persons to enroll)."""
    return [parse_int(str(v).strip(), field=name, label=label) for v in values]


# The largest amount a money column (max_digits=14, 2 places) holds.
AMOUNT_MAX = Decimal("999999999999.99")


def amount_param(data: Mapping, name: str, label: str) -> Decimal | None:
    """An optional amount in yuan (1234.5, 1,234.50): at most two decimals, 0 up to what a money column holds;
    None when absent or blank. Never a float."""
    text = _text(data, name).replace(",", "").replace("，", "")
    if not text:
        return None
    shown = text if len(text) <= 20 else text[:20] + "…"
    try:
        if len(text) > 20 or not text.isascii():
            raise InvalidOperation(text)
        value = Decimal(text)
    except InvalidOperation:
        raise NrcmsError("invalid", f"{label}“{shown}”不是金额，请填写数字，如 1234.50", field=name) from None
    if not value.is_finite() or value.as_tuple().exponent < -2:
        raise NrcmsError("invalid", f"{label}“{shown}”不是金额，最多两位小数", field=name)
    if not Decimal(0) <= value <= AMOUNT_MAX:
        raise NrcmsError("invalid", f"{label}“{shown}”超出范围，应在 0 到 {AMOUNT_MAX} 元之间", field=name)
    return value


def choice_param(data: Mapping, name: str, label: str, choices) -> str:
    """An optional code out of `choices` ((code, 中文) pairs); "" when absent or blank."""
    text = _text(data, name)
    if not text:
        return ""
    codes = dict(choices)
    if text not in codes:
        shown = text if len(text) <= 20 else text[:20] + "…"
        allowed = "、".join(f"{code}（{label_}）" for code, label_ in codes.items())
        raise NrcmsError("invalid", f"{label}“{shown}”不是可选值，应为以下之一：{allowed}", field=name)
    return text


def text_param(data: Mapping, name: str, label: str, *, max_length: int) -> str:
    """Optional free text (a search box): stripped, refused when longer than `max_length` or holding a NUL."""
    text = _text(data, name)
    if "\x00" in text:
        raise NrcmsError("invalid", f"{label}含有不可见的控制字符，请重新输入", field=name)
    if len(text) > max_length:
        raise NrcmsError("invalid", f"{label}最长 {max_length} 个字符，现为 {len(text)} 个", field=name)
    return text


def month_param(data: Mapping, name: str = "month", label: str = "月份", *, default: tuple[int, int]) -> tuple[int, int]:
    """A month written YYYY-MM (2026-03) → (2026, 3); `default` when absent or blank."""
    text = _text(data, name)
    if not text:
        return default
    shown = text if len(text) <= 20 else text[:20] + "…"
    parts = text.split("-")
    if len(parts) != 2 or len(parts[0]) != 4 or not all(p.isascii() and p.isdigit() and p for p in parts) \
            or len(parts[1]) > 2:
        raise NrcmsError("invalid", f"{label}“{shown}”应写成“年-月”，如 2026-03", field=name)
    year = parse_int(parts[0], field=name, label=label, min_value=YEAR_MIN, max_value=YEAR_MAX)
    month = int(parts[1])
    if not 1 <= month <= 12:
        raise NrcmsError("invalid", f"{label}“{shown}”的月份应在 1 到 12 之间", field=name)
    return year, month


def last_month(today: dt.date) -> tuple[int, int]:
    """The last complete month before `today`."""
    return (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)

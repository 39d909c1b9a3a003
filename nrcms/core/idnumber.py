"""Resident ID numbers (居民身份证号码, GB 11643): 6-digit division code, 8-digit birth date, 3-digit sequence
(odd for men, even for women) and an ISO 7064 MOD 11-2 check digit. python-stdnum does the arithmetic;
this module turns its exceptions into Chinese sentences a clerk can act on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

from .errors import ValidationFailed

FIELD = "id_number"
EARLIEST_BIRTH = dt.date(1890, 1, 1)


@dataclass(frozen=True)
class IdInfo:
    id_number: str
    birth_date: dt.date
    sex: str  # "M" / "F", the same values as registry.models.Sex
    division_code: str


@lru_cache(maxsize=4096)
def division_known(code: str) -> bool:
    """Known to GB/T 2260 at any time. We do not tie the code to the birth year (stdnum does): a child whose
    household was registered late carries the code in force at registration, not at birth."""
    from stdnum import numdb

    parts = numdb.get("cn/loc").info(code)
    return any(props.get("county") for _, props in parts)


def _fail(code: str, message: str) -> ValidationFailed:
    return ValidationFailed(code, message, field=FIELD)


def validate_id_number(value: str, *, today: dt.date | None = None) -> IdInfo:
    """Check one ID number; return what it says about its holder, or raise with a Chinese message."""
    number = ric.compact(value or "")
    shown = number or "（空）"
    if not number:
        raise _fail("required", "身份证号不能为空")
    try:
        if len(number) != 18:
            raise InvalidLength()
        if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
            raise InvalidFormat()
        if number[17] != ric.calc_check_digit(number):
            raise InvalidChecksum()
        birth = ric.get_birth_date(number)
    except InvalidLength:
        raise _fail("id_length", f"身份证号“{shown}”应为 18 位，实为 {len(number)} 位") from None
    except InvalidFormat:
        raise _fail("id_format", f"身份证号“{shown}”前 17 位应为数字，末位为数字或 X") from None
    except InvalidChecksum:
        raise _fail("id_checksum", f"身份证号“{shown}”校验位错误（末位应为 {ric.calc_check_digit(number)}），"
                    "请核对是否录错") from None
    except InvalidComponent:
        raise _fail("id_birth_date", f"身份证号“{shown}”中的出生日期 {number[6:14]} 不存在") from None
    today = today or dt.date.today()
    if birth > today:
        raise _fail("id_birth_future", f"身份证号“{shown}”中的出生日期 {birth:%Y-%m-%d} 晚于今天")
    if birth < EARLIEST_BIRTH:
        raise _fail("id_birth_date", f"身份证号“{shown}”中的出生日期 {birth:%Y-%m-%d} 早于 1890 年，不可能")
    if not division_known(number[:6]):
        raise _fail("id_division", f"身份证号“{shown}”前 6 位 {number[:6]} 不是有效的行政区划代码")
    sex = "M" if int(number[16]) % 2 else "F"
    return IdInfo(number, birth, sex, number[:6])


def make_id_number(division_code: str, birth_date: dt.date, seq: int, sex: str) -> str:
    """Build a valid number: seq (0–499) picks the 3-digit order code, whose last digit carries the sex."""
    if len(division_code) != 6 or not division_code.isdigit():
        raise ValueError("division_code must be 6 digits")
    if not 0 <= seq < 500:
        raise ValueError("seq must be in 0..499")
    order = seq * 2 + (1 if sex == "M" else 0)
    body = f"{division_code}{birth_date:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body + "0")

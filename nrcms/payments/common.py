"""What the payments' services share: the settlement month (parsed, its bounds in the county's time zone), an
audit record's scope for a facility, and the input checks that name the field. The services, refunds and advances
import it; it imports none of them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from nrcms.core.errors import ValidationFailed
from nrcms.facilities.models import Facility

# --- months --------------------------------------------------------------------------------------

def month_parse(text: str | dt.date) -> dt.date:
    """'2026-10' (or a date) → 2026-10-01."""
    if isinstance(text, dt.date):
        return text.replace(day=1)
    try:
        year, month = (int(part) for part in str(text).strip().split("-")[:2])
        return dt.date(year, month, 1)
    except (ValueError, TypeError) as exc:
        raise ValidationFailed("invalid", f"结算月份“{text}”格式应为 YYYY-MM，例如 2026-10", field="month") from exc


def month_next(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the month in the county's time zone, as aware datetimes."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(month, dt.time.min, tzinfo=tz)
    return start, dt.datetime.combine(month_next(month), dt.time.min, tzinfo=tz)


def audit_scope(facility: Facility) -> dict:
    return {"facility_code": facility.code, "region_code": facility.region.code if facility.region_id else ""}


# --- input checks ---------------------------------------------------------------------------------

def not_longer(text: str, max_length: int, *, field: str, label: str) -> None:
    """Refuse text longer than its column with a message naming the field (PostgreSQL would answer 500)."""
    if len(text) > max_length:
        raise ValidationFailed("too_long", f"{label}最多 {max_length} 个字，现有 {len(text)} 个字", field=field)


def decimal_input(value, field: str, label: str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("金额不得使用浮点数")
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationFailed("invalid", f"{label}“{value}”不是数字", field=field) from exc
    if not number.is_finite():
        raise ValidationFailed("invalid", f"{label}“{value}”不是数字", field=field)
    return number

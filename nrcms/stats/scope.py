"""What a statistic is about: a period (month, quarter, year or any range of settlement dates) and filters
(region of the patient's household, facility level, facility, category). Read from a request or the CLI,
validated at the edge, and clamped to the actor's jurisdiction: a township clerk never sees another township."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace

from nrcms.core.errors import Forbidden, NotFound, NrcmsError
from nrcms.facilities.models import Facility, FacilityLevel
from nrcms.registry.models import Category, Region, RegionLevel
from nrcms.web.params import date_param, int_param, year_param


@dataclass(frozen=True)
class Scope:
    start: dt.date
    end: dt.date  # inclusive
    region_prefix: str = ""  # of the patient's household region code; "" = no limit
    region_name: str = "全县"
    facility_level: str = ""
    facility_code: str = ""
    category: str = ""

    @property
    def label(self) -> str:
        return period_label(self.start, self.end)

    def previous_year(self) -> Scope:
        """The same days one year earlier (for 同比); 29 February becomes 28 February."""
        return replace(self, start=_year_back(self.start), end=_year_back(self.end))


def _year_back(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def month_range(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def period_label(start: dt.date, end: dt.date) -> str:
    if start.day == 1 and end == month_range(end.year, end.month)[1] and start.year == end.year:
        if start.month == 1 and end.month == 12:
            return f"{start.year} 年"
        if start.month == end.month:
            return f"{start.year} 年 {start.month} 月"
        if start.month % 3 == 1 and end.month == start.month + 2:
            return f"{start.year} 年第 {(start.month + 2) // 3} 季度"
    return f"{start:%Y-%m-%d} 至 {end:%Y-%m-%d}"


def period_from(data: Mapping, *, today: dt.date) -> tuple[dt.date, dt.date]:
    """year [+ month | + quarter], or start and end dates (a range, at most ten years)."""
    start, end = date_param(data, "start", "起始日期"), date_param(data, "end", "截止日期")
    if start or end:
        if not (start and end):
            raise NrcmsError("invalid", "按日期范围统计须同时填写起始日期和截止日期", field="start" if not start else "end")
        if end < start:
            raise NrcmsError("invalid", f"截止日期 {end} 早于起始日期 {start}", field="end")
        if (end - start).days > 3660:
            raise NrcmsError("invalid", "统计日期范围不能超过十年", field="end")
        return start, end
    year = year_param(data, default=today.year)
    month = int_param(data, "month", "月份", min_value=1, max_value=12)
    quarter = int_param(data, "quarter", "季度", min_value=1, max_value=4)
    if month and quarter:
        raise NrcmsError("invalid", "月份和季度只能选一个", field="quarter")
    if month:
        return month_range(year, month)
    if quarter:
        return month_range(year, quarter * 3 - 2)[0], month_range(year, quarter * 3)[1]
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _text(data: Mapping, name: str, label: str, max_length: int = 20) -> str:
    value = str(data.get(name) or "").strip()
    if len(value) > max_length or not value.isprintable():
        raise NrcmsError("invalid", f"{label}“{value[:20]}”格式不正确", field=name)
    return value


def scope_from(data: Mapping, *, actor, today: dt.date | None = None) -> Scope:
    """The scope a user asked for, refused where it leaves their jurisdiction or names an unknown code."""
    from nrcms.accounts.selectors import jurisdiction_of

    j = jurisdiction_of(actor)
    if j.region_prefix is None:
        raise Forbidden("统计报表按行政区划查看，您的账号未绑定行政区划")
    return scope_within(data, prefix=j.region_prefix, name=j.label, today=today)


def scope_within(data: Mapping, *, prefix: str, name: str = "", today: dt.date | None = None) -> Scope:
    """The scope asked for inside the region subtree `prefix` (the whole county for the command line)."""
    from django.utils import timezone

    start, end = period_from(data, today=today or timezone.localdate())
    code = _text(data, "region", "行政区划")
    if code:
        region = Region.objects.filter(code=code).first()
        if region is None or region.level == RegionLevel.GROUP:
            raise NrcmsError("invalid", f"行政区划“{code}”不存在（可选县、乡镇或行政村的区划代码）", field="region")
        if not region.prefix.startswith(prefix):
            raise NotFound("行政区划", code)
        prefix, name = region.prefix, region.full_name if region.level != RegionLevel.COUNTY else region.name
    elif len(prefix) <= 6:
        county = Region.objects.filter(level=RegionLevel.COUNTY, code__startswith=prefix).first()
        name = county.name if county else "全县"
    level = _text(data, "facility_level", "机构级别")
    if level and level not in FacilityLevel.values:
        raise NrcmsError("invalid", f"机构级别“{level}”应为：{'、'.join(FacilityLevel.values)} 之一", field="facility_level")
    facility = _text(data, "facility", "医疗机构")
    if facility and not Facility.objects.filter(code=facility).exists():
        raise NrcmsError("invalid", f"医疗机构编码“{facility}”不存在", field="facility")
    category = _text(data, "category", "人员类别")
    if category and category not in Category.values:
        raise NrcmsError("invalid", f"人员类别“{category}”应为：{'、'.join(Category.values)} 之一", field="category")
    return Scope(start=start, end=end, region_prefix=prefix, region_name=name or "全县", facility_level=level,
                 facility_code=facility, category=category)

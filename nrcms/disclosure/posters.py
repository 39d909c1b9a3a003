"""A month's disclosure as a document: one section per village (its reimbursed patients), then — for a township
or the county — the fund's income and spending by township and the large reimbursements. Rendered as the staff
page's preview, as an Excel workbook and as wall posters (PDF, A4 or A3, CJK fonts embedded by WeasyPrint):
every page repeats the poster's title and the table's header, so a long list can be posted page by page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from nrcms.core.export import xlsx_bytes
from nrcms.core.money import ZERO
from nrcms.core.pdf import render_pdf
from nrcms.registry.models import Region, RegionLevel

from .selectors import (
    LARGE_THRESHOLD,
    PatientRow,
    TownshipFundRow,
    large_reimbursements,
    month_label,
    township_fund,
    village_list,
)

SIZES = {"a4": "A4", "a3": "A3"}
LIST_HEADERS = ["序号", "村", "姓名", "身份证号", "就诊医疗机构", "类别", "入院（就诊）日期", "出院日期",
                "医疗总费用（元）", "新农合补偿（元）", "备注"]


@dataclass
class Section:
    title: str  # 甘亭镇东韩村 2026 年 10 月新农合补偿公示
    village: str
    rows: list[PatientRow]

    @property
    def total_cost(self) -> Decimal:
        return sum((r.total_cost for r in self.rows), ZERO)

    @property
    def reimbursed(self) -> Decimal:
        return sum((r.reimbursed for r in self.rows), ZERO)


@dataclass
class Disclosure:
    region: Region
    start: dt.date
    end: dt.date
    office: str
    sections: list[Section]
    fund_rows: list[TownshipFundRow] = field(default_factory=list)
    large: list[PatientRow] = field(default_factory=list)
    threshold: Decimal = LARGE_THRESHOLD

    @property
    def month(self) -> str:
        return month_label(self.start)

    @property
    def rows(self) -> int:
        return sum(len(s.rows) for s in self.sections) + len(self.large)

    @property
    def fund_total(self) -> TownshipFundRow:
        r = self.fund_rows
        return TownshipFundRow("", "合计", sum((x.contributions for x in r), ZERO), sum(x.count for x in r),
                               sum((x.total_cost for x in r), ZERO), sum((x.reimbursed for x in r), ZERO))


def _office(region: Region) -> str:
    county = Region.objects.filter(level=RegionLevel.COUNTY, code__startswith=region.code[:6]).first()
    return f"{county.name if county else ''}新型农村合作医疗管理办公室"


def disclosure_build(*, region: Region, start: dt.date, end: dt.date, threshold: Decimal = LARGE_THRESHOLD,
                     villages_without_rows: bool = False) -> Disclosure:
    """The month's disclosure for a village, a township (each of its villages) or the county."""
    rows = village_list(start=start, end=end, prefix=region.prefix)
    by_village: dict[str, list[PatientRow]] = {}
    for row in rows:
        by_village.setdefault(row.village_code, []).append(row)
    if region.level == RegionLevel.VILLAGE:
        villages = [(region.code, region.name)]
    else:
        villages = list(Region.objects.filter(code__startswith=region.prefix, level=RegionLevel.VILLAGE)
                        .order_by("code").values_list("code", "name"))
        known = {code for code, _ in villages}
        villages += sorted((code, rs[0].village) for code, rs in by_village.items() if code not in known)
    township_names = dict(Region.objects.filter(code__startswith=region.code[:6], level=RegionLevel.TOWNSHIP)
                          .values_list("code", "name"))
    sections = []
    for code, name in villages:
        if by_village.get(code) or villages_without_rows or region.level == RegionLevel.VILLAGE:
            place = township_names.get(code[:9] + "000", "") + name
            sections.append(Section(f"{place} {month_label(start)}新农合补偿公示", name, by_village.get(code, [])))
    disclosure = Disclosure(region, start, end, _office(region), sections, threshold=threshold)
    if region.level != RegionLevel.VILLAGE:
        disclosure.fund_rows = township_fund(start=start, end=end, prefix=region.prefix)
        disclosure.large = large_reimbursements(start=start, end=end, prefix=region.prefix, threshold=threshold)
    return disclosure


def _list_row(n: int, r: PatientRow) -> list:
    return [n, r.village, r.name, r.id_number, r.hospital, r.kind, r.admission_date.isoformat(),
            r.discharge_date.isoformat() if r.discharge_date else "", r.total_cost, r.reimbursed,
            "冲正（更正以前月份）" if r.correction else ""]


def disclosure_rows(d: Disclosure) -> list[list]:
    """The list as Excel rows (LIST_HEADERS), numbered per village like the posters."""
    return [_list_row(n, r) for s in d.sections for n, r in enumerate(s.rows, start=1)]


def disclosure_xlsx(d: Disclosure) -> bytes:
    return xlsx_bytes(f"{d.month}公示", LIST_HEADERS, disclosure_rows(d))


def disclosure_pdf(d: Disclosure, *, size: str = "a4") -> bytes:
    return render_pdf("disclosure/poster_pdf.html", {"d": d, "size": SIZES[size], "large_size": size == "a3"})


def file_name(d: Disclosure, ext: str, size: str = "") -> str:
    suffix = f"_{SIZES[size]}" if size else ""
    return f"新农合补偿公示_{d.region.name}_{d.start:%Y-%m}{suffix}.{ext}"

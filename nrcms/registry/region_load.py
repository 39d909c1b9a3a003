"""Loading a county's division list as the county receives it: the statistical division codes (统计用区划代码,
12 digits, GB/T 2260 for the first six) in an Excel or CSV file with columns 统计用区划代码 / 名称 / 城乡分类代码.

The level comes from the code's structure: 6 digits + 000000 is the county, 9 digits + 000 a township, else a
village. Every row is checked first (digits, the segment ranges of the coding rules, the county, a parent in the
file or the database, a name, duplicates); the rows that pass are written through region_upsert in one
transaction, so loading the same file again changes nothing and a renamed village is updated and audited.
Village groups and agricultural populations are not part of the list and are left as they are."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from django.db import transaction

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.services import require
from nrcms.core.errors import ValidationFailed

from .levels import level_label
from .models import Region, RegionLevel
from .services import region_upsert

CODE_HEADERS = ("统计用区划代码", "区划代码", "代码", "code")
NAME_HEADERS = ("名称", "区划名称", "name")
CLASS_HEADERS = ("城乡分类代码", "城乡分类", "urban_rural_code")
# 城乡分类代码 of the statistical division list (国家统计局《统计用城乡划分代码》).
URBAN_RURAL_CODES = {"111", "112", "121", "122", "123", "210", "220"}
# Segment ranges of the coding rules: townships 001–099 街道, 100–199 镇, 200–399 乡, 400–599 乡级单位;
# villages 001–199 居委会, 200–399 村委会, 400–599 类似居委会/村委会.
SEGMENT_MAX = 599
MAX_UPLOAD = 5 * 1024 * 1024  # a county's list is a few hundred rows; a whole province's is under 5 MB
LEVEL_ORDER = {RegionLevel.COUNTY: 0, RegionLevel.TOWNSHIP: 1, RegionLevel.VILLAGE: 2}


@dataclass(frozen=True)
class DivisionRow:
    row: int  # the spreadsheet's row number (the header is row 1)
    code: str
    name: str
    urban_rural_code: str = ""


@dataclass
class RegionLoadReport:
    file_name: str = ""
    rows_total: int = 0
    added: list[dict] = field(default_factory=list)  # {row, code, name, level}
    renamed: list[dict] = field(default_factory=list)  # {row, code, old, new}
    unchanged: int = 0
    refused: list[dict] = field(default_factory=list)  # {row, code, name, message}
    not_in_file: list[dict] = field(default_factory=list)  # {code, name}: in the database, absent from the file
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.renamed)

    def summary(self) -> str:
        head = "检查结果（未写入）" if self.dry_run else "载入完成"
        text = (f"{head}：共 {self.rows_total} 行，新增 {len(self.added)}，改名 {len(self.renamed)}，"
                f"未变 {self.unchanged}，拒绝 {len(self.refused)}")
        if self.not_in_file:
            text += f"；系统中另有 {len(self.not_in_file)} 个区划不在文件中（未删除）"
        return text

    def as_dict(self) -> dict:
        return {**asdict(self), "summary": self.summary()}


# --- reading -------------------------------------------------------------------------------------

def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code typed into a number cell
    return str(value).strip()


def _decode(content: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 as Excel on a Chinese Windows saves a CSV."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("gb18030")


def _table(content: bytes, file_name: str) -> list[list[str]]:
    lower = file_name.lower()
    if lower.endswith(".csv"):
        return [[_cell(c) for c in r] for r in csv.reader(io.StringIO(_decode(content)))]
    if lower.endswith((".xlsx", ".xls", ".xlsm", ".ods")):
        from python_calamine import CalamineWorkbook

        try:
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
        except Exception as exc:  # calamine's errors are not one type; the user needs one sentence
            raise ValidationFailed("invalid", f"无法读取文件“{file_name}”：不是有效的 Excel 文件", field="file") from exc
        return [[_cell(c) for c in r] for r in sheet.to_python(skip_empty_area=False)]
    raise ValidationFailed("invalid", f"不支持的文件类型“{file_name}”：请上传 .xlsx 或 .csv 文件", field="file")


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


def read_division_file(content: bytes, file_name: str) -> list[DivisionRow]:
    table = _table(content, file_name)
    if not table:
        raise ValidationFailed("empty", "文件是空的：第一行应为表头（统计用区划代码、名称、城乡分类代码）", field="file")
    header = [h.strip() for h in table[0]]
    code_at, name_at, class_at = (_column(header, CODE_HEADERS), _column(header, NAME_HEADERS),
                                  _column(header, CLASS_HEADERS))
    missing = [label for label, at in (("统计用区划代码", code_at), ("名称", name_at)) if at is None]
    if missing:
        raise ValidationFailed("missing_columns", f"文件缺少必填列：{'、'.join(missing)}（第一行应为表头）",
                               field="file")

    def get(cells: list[str], at: int | None) -> str:
        return cells[at] if at is not None and at < len(cells) else ""

    return [DivisionRow(n, re.sub(r"\s", "", get(cells, code_at)), get(cells, name_at), get(cells, class_at))
            for n, cells in enumerate(table[1:], start=2) if any(c for c in cells)]


# --- checking ------------------------------------------------------------------------------------

def level_of(code: str) -> str:
    if code[6:] == "000000":
        return RegionLevel.COUNTY
    if code[9:] == "000":
        return RegionLevel.TOWNSHIP
    return RegionLevel.VILLAGE


def parent_code(code: str, level: str) -> str | None:
    return {RegionLevel.COUNTY: None, RegionLevel.TOWNSHIP: code[:6] + "000000",
            RegionLevel.VILLAGE: code[:9] + "000"}[level]


def code_problem(code: str) -> str | None:
    """Why a code is not a county, township or village statistical division code, or None."""
    if not re.fullmatch(r"\d{12}", code):
        return f"统计用区划代码“{code}”应为 12 位数字"
    if code[:2] == "00" or code[2:4] == "00" and code[4:6] == "00":
        return f"统计用区划代码“{code}”前 6 位不是县级行政区划代码（GB/T 2260）"
    if code[4:6] == "00":
        return f"统计用区划代码“{code}”是地级代码（第 5–6 位为 00），不是县级区划"
    township, village = int(code[6:9]), int(code[9:12])
    if township == 0 and village != 0:
        return f"统计用区划代码“{code}”乡级段（第 7–9 位）为 000，村级段却不为 000"
    if township > SEGMENT_MAX:
        return f"统计用区划代码“{code}”乡级段 {code[6:9]} 超出编码规则（001–599）"
    if village > SEGMENT_MAX:
        return f"统计用区划代码“{code}”村级段 {code[9:12]} 超出编码规则（001–599）"
    return None


def _row_problem(r: DivisionRow, county_prefix: str | None) -> str | None:
    problem = code_problem(r.code)
    if problem:
        return problem
    if not r.name:
        return f"区划“{r.code}”的名称为空"
    if len(r.name) > Region._meta.get_field("name").max_length:
        return f"区划“{r.code}”的名称“{r.name}”过长（最多 60 个字）"
    if r.urban_rural_code and r.urban_rural_code not in URBAN_RURAL_CODES:
        return (f"区划“{r.code}”的城乡分类代码“{r.urban_rural_code}”无效，应为 "
                f"{'、'.join(sorted(URBAN_RURAL_CODES))} 之一")
    if county_prefix and not r.code.startswith(county_prefix):
        return f"区划“{r.code}”不属于本统筹区（县级代码 {county_prefix}），本系统只载入一个县的区划"
    return None


def _county_prefix(rows: list[DivisionRow]) -> str | None:
    """The pooling region's county: the one in the database, else the file's (first) county row."""
    county = Region.objects.filter(level=RegionLevel.COUNTY).order_by("pk").first()
    if county is not None:
        return county.prefix
    for r in rows:
        if code_problem(r.code) is None and level_of(r.code) == RegionLevel.COUNTY:
            return r.code[:6]
    return None


# --- loading -------------------------------------------------------------------------------------

def regions_load(
    *,
    actor: User | None,
    rows: Iterable[DivisionRow],
    file_name: str = "",
    authority: str = "",
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> RegionLoadReport:
    """Check and load a division list. actor=None only for the installation's own commands (demo load)."""
    if actor is not None:
        require(actor, Cap.SYSTEM_SETTINGS)
    rows = list(rows)
    report = RegionLoadReport(file_name=file_name, rows_total=len(rows), dry_run=dry_run)
    authority = authority.strip() or f"统计用区划代码文件 {file_name}".strip()
    county_prefix = _county_prefix(rows)
    if county_prefix is None:
        raise ValidationFailed("no_county", "系统中还没有县级区划，文件中也没有县级行（后 6 位为 000000 的代码）",
                               field="file")
    with transaction.atomic():
        _load(actor, rows, report, county_prefix, authority, progress)
        in_file = {r.code for r in rows}
        report.not_in_file = [
            {"code": code, "name": name} for code, name in
            Region.objects.filter(code__startswith=county_prefix, level__in=list(LEVEL_ORDER))
            .exclude(code__in=in_file).order_by("code").values_list("code", "name")]
        if report.changed and not dry_run:
            audit_record(actor=actor, action="region.load", object_type="registry.region",
                         object_repr=f"区划代码文件 {file_name}"[:200], authority=authority,
                         region_code=county_prefix + "000000",
                         after={"added": len(report.added), "renamed": len(report.renamed),
                                "unchanged": report.unchanged, "refused": len(report.refused)})
        if dry_run:
            transaction.set_rollback(True)
    return report


def _load(actor, rows, report: RegionLoadReport, county_prefix: str, authority: str, progress) -> None:
    first_row: dict[str, int] = {}
    accepted: dict[str, Region] = {}  # a dry run writes too, then rolls the whole transaction back
    candidates = []
    for r in rows:
        problem = _row_problem(r, county_prefix)
        if problem is None and r.code in first_row:
            problem = f"区划代码“{r.code}”与第 {first_row[r.code]} 行重复"
        first_row.setdefault(r.code, r.row)
        if problem:
            report.refused.append({"row": r.row, "code": r.code, "name": r.name, "message": problem})
        else:
            candidates.append(r)
    candidates.sort(key=lambda r: (LEVEL_ORDER[level_of(r.code)], r.code))  # parents before children
    existing = {reg.code: reg for reg in Region.objects.filter(code__in=[r.code for r in candidates]
                                                               + [parent_code(r.code, level_of(r.code)) or ""
                                                                  for r in candidates])}
    refused_codes = {d["code"] for d in report.refused}
    for done, r in enumerate(candidates, start=1):
        level = level_of(r.code)
        p_code = parent_code(r.code, level)
        parent = None
        if p_code is not None:
            if p_code in accepted or p_code in existing:
                parent = accepted.get(p_code) or existing.get(p_code)
            else:
                where = (f"第 {first_row[p_code]} 行未能载入" if p_code in refused_codes
                         else "在文件和系统中都不存在")
                report.refused.append({"row": r.row, "code": r.code, "name": r.name,
                                       "message": f"{level_label(r.code, level)}“{r.name}”的上级 {p_code} {where}"})
                refused_codes.add(r.code)
                continue
        report_row = _apply(actor, r, level, parent, existing.get(r.code), authority, report)
        if report_row is None:
            refused_codes.add(r.code)
        else:
            accepted[r.code] = report_row
        if progress:
            progress(done)
    report.refused.sort(key=lambda d: d["row"])


def _apply(actor, r: DivisionRow, level: str, parent: Region | None, current: Region | None, authority: str,
           report: RegionLoadReport) -> Region | None:
    if current is not None and current.name == r.name:
        report.unchanged += 1
        return current
    try:
        region, _ = region_upsert(
            actor=actor, code=r.code, name=r.name, level=level, parent=parent, authority=authority,
            agricultural_population=current.agricultural_population if current else None)
    except ValidationFailed as exc:
        report.refused.append({"row": r.row, "code": r.code, "name": r.name, "message": exc.message})
        return None
    if current is None:
        report.added.append({"row": r.row, "code": r.code, "name": r.name, "level": level})
    else:
        report.renamed.append({"row": r.row, "code": r.code, "old": current.name, "new": r.name})
    return region

from __future__ import annotations

from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from nrcms.accounts import selectors
from nrcms.accounts.roles import Cap
from nrcms.api.auth import requires
from nrcms.api.base import ERRORS, PageOut, paginate
from nrcms.api.choices import coded, coded_query
from nrcms.core.errors import ValidationFailed

from .models import RegionLevel
from .region_load import MAX_UPLOAD, read_division_file, regions_load

router = Router(tags=["行政区划"], auth=requires(Cap.REGISTRY_VIEW))


class RegionOut(Schema):
    code: str
    name: str
    level: coded(RegionLevel, description="层级代码（各地相同）")
    level_label: str = Field(description="本县对该层级的叫法：乡镇、行政村；内蒙古的旗县为苏木（乡镇）、嘎查（行政村）")
    parent_code: str | None
    agricultural_population: int | None


def region_out(r) -> dict:
    return {"code": r.code, "name": r.name, "level": r.level, "level_label": r.get_level_display(), "parent_code": r.parent.code if r.parent else None,
            "agricultural_population": r.agricultural_population}


class RegionPage(PageOut):
    items: list[RegionOut]


@router.get("", response={200: RegionPage, **ERRORS}, summary="管辖范围内的行政区划")
def regions(request, search: str = "", level: coded_query(RegionLevel) = "", offset: int = 0, limit: int = 100):
    items, page = paginate(selectors.region_list(actor=request.user, search=search, level=level), offset, limit)
    return {**page, "items": [region_out(r) for r in items]}


class RegionDetail(RegionOut):
    children: list[RegionOut]


class RegionRowOut(Schema):
    row: int | None = None
    code: str
    name: str = ""
    level: coded(RegionLevel, blank="未定") = ""
    old: str = ""
    new: str = ""
    message: str = ""


class RegionLoadOut(Schema):
    summary: str
    file_name: str
    rows_total: int
    dry_run: bool
    unchanged: int
    added: list[RegionRowOut]
    renamed: list[RegionRowOut]
    refused: list[RegionRowOut]
    not_in_file: list[RegionRowOut]


@router.post("/load", auth=requires(Cap.SYSTEM_SETTINGS), response={200: RegionLoadOut, **ERRORS},
             summary="载入统计用区划代码文件（.xlsx/.csv）：报告新增、改名、拒绝；可重复载入")
def regions_load_upload(request, file: File[UploadedFile], authority: Form[str] = "", dry_run: Form[bool] = False):
    if file.size > MAX_UPLOAD:
        raise ValidationFailed("too_large", "文件过大：区划代码文件不应超过 5 MB", field="file")
    rows = read_division_file(file.read(), file.name or "")
    report = regions_load(actor=request.user, rows=rows, file_name=file.name or "", authority=authority,
                          dry_run=dry_run)
    return report.as_dict()


@router.get("/{code}", response={200: RegionDetail, **ERRORS}, summary="一个区划及其下级")
def region(request, code: str):
    r = selectors.region_get(actor=request.user, code=code)
    return {**region_out(r), "children": [region_out(c) for c in r.children.select_related("parent")]}

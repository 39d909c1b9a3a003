from __future__ import annotations

from ninja import Router, Schema

from nrcms.accounts import selectors
from nrcms.api.base import ErrorOut, PageOut, paginate
from nrcms.api.choices import coded, coded_query

from .models import RegionLevel

router = Router(tags=["行政区划"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class RegionOut(Schema):
    code: str
    name: str
    level: coded(RegionLevel)
    parent_code: str | None
    agricultural_population: int | None


def region_out(r) -> dict:
    return {"code": r.code, "name": r.name, "level": r.level, "parent_code": r.parent.code if r.parent else None,
            "agricultural_population": r.agricultural_population}


class RegionPage(PageOut):
    items: list[RegionOut]


@router.get("", response={200: RegionPage, **ERRORS}, summary="管辖范围内的行政区划")
def regions(request, search: str = "", level: coded_query(RegionLevel) = "", offset: int = 0, limit: int = 100):
    items, page = paginate(selectors.region_list(actor=request.user, search=search, level=level), offset, limit)
    return {**page, "items": [region_out(r) for r in items]}


class RegionDetail(RegionOut):
    children: list[RegionOut]


@router.get("/{code}", response={200: RegionDetail, **ERRORS}, summary="一个区划及其下级")
def region(request, code: str):
    r = selectors.region_get(actor=request.user, code=code)
    return {**region_out(r), "children": [region_out(c) for c in r.children.select_related("parent")]}

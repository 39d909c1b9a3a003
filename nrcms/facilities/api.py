from __future__ import annotations

from ninja import Router, Schema

from nrcms.accounts import selectors
from nrcms.api.base import ErrorOut, PageOut, paginate

router = Router(tags=["定点医疗机构"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class FacilityOut(Schema):
    code: str
    name: str
    level: str
    region_code: str | None
    in_county: bool
    status: str


def facility_out(f) -> dict:
    return {"code": f.code, "name": f.name, "level": f.level, "region_code": f.region.code if f.region else None,
            "in_county": f.in_county, "status": f.status}


class FacilityPage(PageOut):
    items: list[FacilityOut]


@router.get("", response={200: FacilityPage, **ERRORS}, summary="管辖范围内的医疗机构")
def facilities(request, search: str = "", offset: int = 0, limit: int = 100):
    items, page = paginate(selectors.facility_list(actor=request.user, search=search), offset, limit)
    return {**page, "items": [facility_out(f) for f in items]}


@router.get("/{code}", response={200: FacilityOut, **ERRORS}, summary="一个医疗机构")
def facility(request, code: str):
    return facility_out(selectors.facility_get(actor=request.user, code=code))

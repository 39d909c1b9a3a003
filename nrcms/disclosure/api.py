"""The disclosure over the API.

/api/public/disclosures…: the published lists for anyone (a township's WeChat page), without login, like
/public/: township → village → month, no search by name or ID number, every request counted against the client
address (429 beyond NRCMS_PUBLIC_PER_MINUTE a minute). These are the only operations without `requires(...)`:
tests/api/test_route_capabilities.py lists them in its PUBLIC allow-list.

/api/disclosure…: the staff's preview (masked as posted) and publishing, with the pages' capabilities."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from nrcms.accounts.roles import Cap
from nrcms.api.auth import requires
from nrcms.api.base import ERRORS, ErrorOut, PageOut, paginate
from nrcms.claims.models import EpisodeKind

from .posters import disclosure_build
from .public import months_of, public_list, public_rate, public_township, public_village, townships, villages
from .selectors import month_of, publication_of
from .services import disclosure_publish, publish_region
from .views import last_month, staff_region

PUBLIC_ERRORS = {**ERRORS, 429: ErrorOut}
public_router = Router(tags=["公示（公开，无需登录）"], auth=None)
router = Router(tags=["公示"], auth=requires(Cap.DISCLOSURE_VIEW))


class DisclosureRegionOut(Schema):
    code: str
    name: str


class DisclosurePatientOut(Schema):
    name: str  # 张＊
    id_number: str  # 6101**********1234
    village: str
    hospital: str
    kind: Literal[tuple(EpisodeKind.labels)] = Field(description="就诊类别（中文名称）")
    admission_date: dt.date
    discharge_date: dt.date | None
    total_cost: Decimal
    reimbursed: Decimal
    correction: bool


class DisclosureTownshipFundOut(Schema):
    code: str
    name: str
    contributions: Decimal
    count: int
    total_cost: Decimal
    reimbursed: Decimal


class DisclosurePublicListOut(Schema):
    township: str
    village: str
    month: str
    published_on: dt.date
    fund: DisclosureTownshipFundOut | None
    page: PageOut
    items: list[DisclosurePatientOut]


class _Rows:
    """A list as api.base.paginate reads a queryset (slicing and count())."""

    def __init__(self, rows: list):
        self.rows = rows

    def __getitem__(self, key):
        return self.rows[key]

    def count(self) -> int:
        return len(self.rows)


def _patient(r) -> dict:
    return {**r.__dict__, "correction": r.correction}


@public_router.get("/townships", response={200: list[DisclosureRegionOut], **PUBLIC_ERRORS},
                   summary="公示：有已发布公示的乡镇（公开，无需登录）")
def public_disclosure_townships(request):
    public_rate(request)
    return [{"code": t.code, "name": t.name} for t in townships()]


@public_router.get("/villages", response={200: list[DisclosureRegionOut], **PUBLIC_ERRORS},
                   summary="公示：乡镇的行政村（公开，无需登录）")
def public_disclosure_villages(request, township: str = Query(..., description="乡镇区划代码（12 位）")):
    public_rate(request)
    return [{"code": v.code, "name": v.name} for v in villages(public_township(township))]


@public_router.get("/months", response={200: list[str], **PUBLIC_ERRORS},
                   summary="公示：行政村已发布公示的月份 YYYY-MM（公开，无需登录）")
def public_disclosure_months(request, village: str = Query(..., description="行政村区划代码（12 位）")):
    public_rate(request)
    return months_of(public_village(village))


@public_router.get("", response={200: DisclosurePublicListOut, **PUBLIC_ERRORS},
                   summary="公示：一个行政村一个月的补偿名单（已发布的月份；姓名、身份证号脱敏；公开，无需登录）")
def public_disclosure_list(request, village: str = Query(..., description="行政村区划代码（12 位）"),
                           month: str = Query(..., description="公示月份 YYYY-MM"),
                           offset: int = Query(0, description="跳过条数"),
                           limit: int = Query(50, description="每页条数 1–200")):
    public_rate(request)
    listing = public_list(public_village(village), month)
    items, page = paginate(_Rows(listing.rows), offset, limit, max_limit=200)
    township = listing.village.parent.name if listing.village.parent_id else ""
    fund = listing.township.__dict__ if listing.township else None
    return {"township": township, "village": listing.village.name, "month": f"{listing.start:%Y-%m}",
            "published_on": timezone.localtime(listing.published_at).date(), "fund": fund, "page": page,
            "items": [_patient(r) for r in items]}


class DisclosurePreviewOut(Schema):
    region: DisclosureRegionOut
    month: str
    published: bool
    published_at: dt.datetime | None
    fund: list[DisclosureTownshipFundOut]
    large: list[DisclosurePatientOut]
    page: PageOut
    items: list[DisclosurePatientOut]


class DisclosurePublishIn(Schema):
    month: str
    region: str = ""


class DisclosurePublicationOut(Schema):
    id: int
    month: str
    region: DisclosureRegionOut
    patients: int
    reimbursed: Decimal
    published_at: dt.datetime


@router.get("", response={200: DisclosurePreviewOut, **ERRORS},
            summary="公示预览：本辖区一个月的补偿名单（脱敏）、按乡镇基金收支、大额补偿")
def disclosure_preview(request, month: str = Query("", description="公示月份 YYYY-MM（默认上月）"),
                       region: str = Query("", description="县、乡镇或行政村区划代码（默认本辖区）"),
                       offset: int = Query(0), limit: int = Query(100, description="每页条数 1–500")):
    start, end = month_of(month or last_month())
    place = staff_region(request.user, region)
    d = disclosure_build(region=place, start=start, end=end)
    items, page = paginate(_Rows([r for s in d.sections for r in s.rows]), offset, limit)
    pub = publication_of(start, place)
    return {"region": {"code": place.code, "name": place.name}, "month": f"{start:%Y-%m}", "published": pub is not None,
            "published_at": pub.published_at if pub else None, "fund": [t.__dict__ for t in d.fund_rows],
            "large": [_patient(r) for r in d.large], "page": page, "items": [_patient(r) for r in items]}


@router.post("/publish", response={201: DisclosurePublicationOut, **ERRORS}, auth=requires(Cap.DISCLOSURE_PUBLISH),
             summary="发布公示：全县或一个乡镇一个月（月末之后；每月每地只发布一次，留审计记录）")
def disclosure_publish_api(request, payload: DisclosurePublishIn):
    start, end = month_of(payload.month)
    region = publish_region(request.user, payload.region.strip()[:20])
    pub = disclosure_publish(actor=request.user, start=start, end=end, region=region, via="接口")
    return Status(201, {"id": pub.pk, "month": f"{start:%Y-%m}", "region": {"code": region.code, "name": region.name},
                        "patients": pub.patients, "reimbursed": pub.reimbursed, "published_at": pub.published_at})

"""The year-end close of the family accounts over the API: list, preview, close."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Router, Schema, Status

from nrcms.accounts.roles import Cap
from nrcms.api.auth import requires
from nrcms.api.base import ERRORS
from nrcms.core.errors import Forbidden

from .models import YearClose
from .year_close import year_close, year_close_preview

router = Router(tags=["筹资与基金"], auth=requires(Cap.FUND_VIEW))


class YearCloseOut(Schema):
    scheme_year: int
    closing_date: dt.date
    opening_date: dt.date
    households: int
    total: Decimal
    negative_households: int
    authority: str
    closed_by: str | None
    closed_at: dt.datetime


class PreviewOut(Schema):
    scheme_year: int
    closing_date: dt.date
    households: int
    total: Decimal
    negative_households: int


class YearCloseIn(Schema):
    scheme_year: int
    closing_date: dt.date | None = None
    authority: str = ""
    expect_total: Decimal | None = None
    idempotency_key: str | None = None


def _out(c: YearClose) -> dict:
    return {"scheme_year": c.scheme_year, "closing_date": c.closing_date,
            "opening_date": c.closing_date + dt.timedelta(days=1), "households": c.households, "total": c.total,
            "negative_households": c.negative_households, "authority": c.authority,
            "closed_by": c.closed_by.username if c.closed_by else None, "closed_at": c.closed_at}


@router.get("/year-closes", response={200: list[YearCloseOut], **ERRORS}, summary="家庭账户已结账年度")
def year_closes(request):
    if not request.user.can(Cap.FUND_VIEW):
        raise Forbidden()
    return [_out(c) for c in YearClose.objects.select_related("closed_by")]


@router.get("/year-closes/preview", auth=requires(Cap.FUND_YEAR_CLOSE), response={200: PreviewOut, **ERRORS},
            summary="年终结账预览：结账日各户家庭账户余额合计（不记账）")
def year_close_preview_api(request, scheme_year: int, closing_date: dt.date | None = None):
    if not request.user.can(Cap.FUND_YEAR_CLOSE):
        raise Forbidden("只有财政局（基金专户）可以办理年终结账")
    p = year_close_preview(year=scheme_year, closing_date=closing_date)
    return {"scheme_year": p.year, "closing_date": p.closing_date, "households": p.households, "total": p.total,
            "negative_households": p.negative_households}


@router.post("/year-closes", auth=requires(Cap.FUND_YEAR_CLOSE), response={201: YearCloseOut, **ERRORS},
             summary="家庭账户年终结账：各户余额结转下年（每年一次；年度未结束须给 closing_date；"
                     "expect_total 为预览合计，账有变动则拒绝；同一 idempotency_key 重试返回首次结果）")
def year_close_api(request, payload: YearCloseIn):
    close = year_close(year=payload.scheme_year, actor=request.user, closing_date=payload.closing_date,
                       authority=payload.authority, expect_total=payload.expect_total,
                       idempotency_key=payload.idempotency_key)
    return Status(201, _out(close))

"""补偿方案 API: the versions, upload (with the check), simulation against last year, approval."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema, Status
from pydantic import Field

from nrcms.accounts.roles import Cap
from nrcms.api.auth import requires
from nrcms.api.base import ERRORS, PageOut, paginate
from nrcms.api.choices import coded

from .models import SchemeStatus, SchemeVersion
from .selectors import county_of, version_get
from .services import scheme_approve, scheme_simulate, scheme_upload

router = Router(tags=["补偿方案"], auth=requires(Cap.SCHEME_MANAGE, Cap.SCHEME_APPROVE))


class SchemeCheckProblem(Schema):
    path: str
    message: str


class SchemeVersionOut(Schema):
    id: int
    region_code: str
    year: int
    label: str
    scheme_id: str
    scheme_name: str
    file_name: str
    sha256: str
    parsed_ok: bool
    check_errors: list[SchemeCheckProblem]
    date_rule: str
    status: coded(SchemeStatus, description="方案版本状态")
    status_label: str
    effective_from: dt.date
    simulation: dict
    simulation_run: str
    uploaded_by: str | None
    approved_by: str | None
    authority: str
    uploaded_at: dt.datetime
    approved_at: dt.datetime | None


class SchemeVersionPage(PageOut):
    items: list[SchemeVersionOut]


class SchemeUploadIn(Schema):
    content: str = Field(max_length=200_000, description="方案文件（YAML）全文")
    year: int = Field(ge=2000, le=2100)
    label: str = Field(default="", max_length=100)
    file_name: str = Field(default="", max_length=200)
    effective_from: dt.date | None = None


class SchemeApproveIn(Schema):
    authority: str = Field(default="", max_length=200)
    effective_from: dt.date | None = None


def _out(v: SchemeVersion) -> dict:
    return {"id": v.pk, "region_code": v.region.code, "year": v.year, "label": v.label, "scheme_id": v.scheme_id,
            "scheme_name": v.scheme_name, "file_name": v.file_name, "sha256": v.sha256, "parsed_ok": v.parsed_ok,
            "check_errors": [{"path": p, "message": m} for p, m in v.check_errors], "date_rule": v.date_rule,
            "status": v.status, "status_label": v.get_status_display(), "effective_from": v.effective_from,
            "simulation": v.simulation, "simulation_run": v.simulation_run,
            "uploaded_by": v.uploaded_by.username if v.uploaded_by else None,
            "approved_by": v.approved_by.username if v.approved_by else None, "authority": v.authority,
            "uploaded_at": v.uploaded_at, "approved_at": v.approved_at}


@router.get("", response={200: SchemeVersionPage, **ERRORS}, summary="补偿方案版本列表（新的生效日期在前）")
def versions(request, offset: int = 0, limit: int = 50):
    items, page = paginate(SchemeVersion.objects.select_related("region", "uploaded_by", "approved_by"), offset, limit)
    return {**page, "items": [_out(v) for v in items]}


@router.post("", response={201: SchemeVersionOut, **ERRORS}, auth=requires(Cap.SCHEME_MANAGE),
             summary="上传补偿方案文件并校验（scheme check）：通过为“已校验”，否则为草稿并列出问题及其 YAML 路径")
def upload(request, payload: SchemeUploadIn):
    version = scheme_upload(actor=request.user, region=county_of(request.user), year=payload.year,
                            content=payload.content, label=payload.label, file_name=payload.file_name,
                            effective_from=payload.effective_from)
    return Status(201, _out(version_get(str(version.pk))))


@router.get("/{version_id}", response={200: SchemeVersionOut, **ERRORS}, summary="一个补偿方案版本")
def version(request, version_id: str):
    return _out(version_get(version_id))


@router.post("/{version_id}/simulate", response={200: SchemeVersionOut, **ERRORS}, auth=requires(Cap.SCHEME_MANAGE),
             summary="用上一年度已结算数据模拟测算（原方案与新方案基金支付合计、金额变化笔数）")
def simulate(request, version_id: str):
    scheme_simulate(actor=request.user, version=version_get(version_id))
    return _out(version_get(version_id))


@router.post("/{version_id}/approve", response={200: SchemeVersionOut, **ERRORS}, auth=requires(Cap.SCHEME_APPROVE),
             summary="批准补偿方案（主任；须已模拟测算，批准人不能是上传人；生效日期须晚于已结算的最后日期）")
def approve(request, version_id: str, payload: SchemeApproveIn):
    scheme_approve(actor=request.user, version=version_get(version_id), authority=payload.authority,
                   effective_from=payload.effective_from)
    return _out(version_get(version_id))

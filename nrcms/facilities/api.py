from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Router, Schema
from pydantic import Field

from nrcms.accounts import selectors
from nrcms.accounts.roles import Cap
from nrcms.api.auth import requires
from nrcms.api.base import ERRORS, PageOut, paginate
from nrcms.api.choices import coded, coded_query
from nrcms.core.errors import Forbidden, NotFound

from .api_supervision import register as register_supervision
from .catalogue import catalogue_search, charges_resolve, diagnosis_search, mapping_set
from .mappings import mapping_approve, mapping_reject
from .models import (
    CatalogueClass,
    ChargeMapping,
    DesignationStatus,
    FacilityLevel,
    IcdEdition,
    ItemKind,
    MappingStatus,
)
from .services import facilities_with_status, facility_status_withdraw

router = Router(tags=["定点医疗机构"], auth=requires(Cap.FACILITY_VIEW))
register_supervision(router)  # first: /scorecards, /alerts … are not facility codes


class ScheduledOut(Schema):
    id: int
    status: coded(DesignationStatus)
    effective_date: dt.date
    reason: str


class FacilityOut(Schema):
    code: str
    name: str
    level: coded(FacilityLevel, description="机构级别")
    region_code: str | None
    in_county: bool
    status: coded(DesignationStatus, description="今天生效的定点状态")
    status_since: dt.date | None = Field(description="该状态的生效日期（开始之日）；建档以来未变更时为空")
    scheduled: list[ScheduledOut] = Field(description="已排定、尚未生效的变更（可撤回）")


def facility_out(f) -> dict:
    if not hasattr(f, "status_today"):
        facilities_with_status([f])
    return {"code": f.code, "name": f.name, "level": f.level, "region_code": f.region.code if f.region else None,
            "in_county": f.in_county, "status": f.status_today, "status_since": f.status_since,
            "scheduled": [{"id": c.pk, "status": c.status, "effective_date": c.effective_date, "reason": c.reason}
                          for c in f.scheduled]}


class FacilityPage(PageOut):
    items: list[FacilityOut]


@router.get("", response={200: FacilityPage, **ERRORS}, summary="管辖范围内的医疗机构")
def facilities(request, search: str = "", offset: int = 0, limit: int = 100):
    items, page = paginate(selectors.facility_list(actor=request.user, search=search), offset, limit)
    return {**page, "items": [facility_out(f) for f in facilities_with_status(items)]}


@router.get("/{code}", response={200: FacilityOut, **ERRORS}, summary="一个医疗机构")
def facility(request, code: str):
    return facility_out(selectors.facility_get(actor=request.user, code=code))


class WithdrawIn(Schema):
    reason: str = Field(max_length=300)


# There is no route that changes a status directly (issue 12): the county office asks with
# POST /{code}/designation-requests and the director approves (api_supervision).
@router.post("/{code}/status/{change_id}/withdraw", auth=requires(Cap.FACILITY_DESIGNATION_APPROVE),
             response={200: FacilityOut, **ERRORS},
             summary="撤回尚未生效的排定变更（主任；须填原因；记录保留并标为已撤回）")
def facility_status_withdraw_api(request, code: str, change_id: int, payload: WithdrawIn):
    facility = selectors.facility_get(actor=request.user, code=code)
    change = facility.designation_history.filter(pk=change_id).first()
    if change is None:
        raise NotFound("定点状态变更", change_id)
    facility_status_withdraw(actor=request.user, change=change, reason=payload.reason)
    return facility_out(selectors.facility_get(actor=request.user, code=code))


class MappingOut(Schema):
    id: int
    facility_item_code: str
    facility_item_name: str
    catalogue_code: str
    valid_from: dt.date
    valid_to: dt.date | None
    status: coded(MappingStatus, description="审批状态：医院提交的对照经县合管办批准后才用于结算")
    reject_reason: str


def _mapping_out(m: ChargeMapping) -> dict:
    return {"id": m.pk, "facility_item_code": m.facility_item_code, "facility_item_name": m.facility_item_name,
            "catalogue_code": m.catalogue_code, "valid_from": m.valid_from, "valid_to": m.valid_to,
            "status": m.status, "reject_reason": m.reject_reason}


class MappingPage(PageOut):
    items: list[MappingOut]


@router.get("/{code}/mappings", response={200: MappingPage, **ERRORS},
            summary="本机构项目对照（不含历史时：在用的和待审批的）")
def mappings(request, code: str, search: str = "", include_history: bool = False,
             status: coded_query(MappingStatus) = "", offset: int = 0, limit: int = 100):
    facility = selectors.facility_get(actor=request.user, code=code)
    qs = ChargeMapping.objects.filter(facility=facility).order_by("facility_item_code", "-valid_from")
    if not include_history:
        qs = qs.filter(valid_to__isnull=True).exclude(status=MappingStatus.REJECTED)
    if status:
        qs = qs.filter(status=status)
    if search:
        qs = qs.filter(facility_item_code__startswith=search)
    items, page = paginate(qs, offset, limit)
    return {**page, "items": [_mapping_out(m) for m in items]}


class MappingIn(Schema):
    facility_item_code: str = Field(max_length=40)
    facility_item_name: str = Field(max_length=120)
    catalogue_code: str = Field(max_length=30)
    valid_from: dt.date


@router.post("/{code}/mappings", response={200: MappingOut, **ERRORS},
             summary="新增或变更对照（幂等）；医院合疗科提交的为待审批申请，县合管办批准后生效")
def mapping_put(request, code: str, payload: MappingIn):
    facility = selectors.facility_get(actor=request.user, code=code)
    mapping, _ = mapping_set(actor=request.user, facility=facility, **payload.dict())
    return _mapping_out(mapping)


def _mapping_get(request, code: str, mapping_id: int) -> ChargeMapping:
    facility = selectors.facility_get(actor=request.user, code=code)
    mapping = ChargeMapping.objects.filter(facility=facility, pk=mapping_id).first()
    if mapping is None:
        raise NotFound("项目对照", mapping_id)
    return mapping


class MappingApproveIn(Schema):
    authority: str = Field("", max_length=200, description="依据（如审批单号）")


@router.post("/{code}/mappings/{mapping_id}/approve", auth=requires(Cap.FACILITY_MANAGE),
             response={200: MappingOut, **ERRORS},
             summary="批准医院提交的对照申请（县合管办；申请人本人不能批准）")
def mapping_approve_api(request, code: str, mapping_id: int, payload: MappingApproveIn):
    return _mapping_out(mapping_approve(actor=request.user, mapping=_mapping_get(request, code, mapping_id),
                                        authority=payload.authority))


class MappingRejectIn(Schema):
    reason: str = Field(max_length=200)


@router.post("/{code}/mappings/{mapping_id}/reject", auth=requires(Cap.FACILITY_MANAGE),
             response={200: MappingOut, **ERRORS},
             summary="驳回医院提交的对照申请（须填原因）")
def mapping_reject_api(request, code: str, mapping_id: int, payload: MappingRejectIn):
    return _mapping_out(mapping_reject(actor=request.user, mapping=_mapping_get(request, code, mapping_id),
                                       reason=payload.reason))


class ResolveIn(Schema):
    facility_item_codes: list[str]
    on: dt.date


class ResolvedOut(Schema):
    facility_item_code: str
    catalogue_code: str
    name: str
    catalogue_class: coded(CatalogueClass)
    first_self_pay_share: Decimal
    price_limit: Decimal | None


class ResolveOut(Schema):
    ok: bool
    resolved: list[ResolvedOut]
    unmapped: list[str]
    unknown: list[str]


@router.post("/{code}/mappings/resolve", response={200: ResolveOut, **ERRORS},
             summary="检查收费编码：列出未对照的编码（从不猜测）")
def mapping_resolve(request, code: str, payload: ResolveIn):
    facility = selectors.facility_get(actor=request.user, code=code)
    r = charges_resolve(facility=facility, facility_item_codes=payload.facility_item_codes, on=payload.on)
    return {"ok": r.ok, "unmapped": r.unmapped, "unknown": r.unknown, "resolved": [
        {"facility_item_code": c, "catalogue_code": i.code, "name": i.name, "catalogue_class": i.catalogue_class,
         "first_self_pay_share": i.first_self_pay_share, "price_limit": i.price_limit}
        for c, i in r.resolved.items()]}


catalogue_router = Router(tags=["补偿目录与诊断"], auth=requires(Cap.FACILITY_VIEW))


class CatalogueOut(Schema):
    code: str
    name: str
    kind: coded(ItemKind)
    catalogue_class: coded(CatalogueClass)
    first_self_pay_share: Decimal
    price_limit: Decimal | None
    unit: str
    valid_from: dt.date
    valid_to: dt.date | None


class CataloguePage(PageOut):
    items: list[CatalogueOut]


@catalogue_router.get("/items", response={200: CataloguePage, **ERRORS}, summary="补偿目录查询")
def catalogue_items(request, search: str = "", catalogue_class: coded_query(CatalogueClass) = "",
                    kind: coded_query(ItemKind) = "", on: dt.date | None = None,
                    offset: int = 0, limit: int = 100):
    if not request.user.can(Cap.FACILITY_VIEW):
        raise Forbidden()
    qs = catalogue_search(search=search, catalogue_class=catalogue_class, kind=kind, on=on)
    items, page = paginate(qs, offset, limit)
    return {**page, "items": items}


class DiagnosisOut(Schema):
    edition: coded(IcdEdition)
    code: str
    name: str
    is_chronic: bool


class DiagnosisPage(PageOut):
    items: list[DiagnosisOut]


@catalogue_router.get("/diagnoses", response={200: DiagnosisPage, **ERRORS}, summary="ICD-10 诊断查询")
def diagnoses(request, search: str = "", edition: coded_query(IcdEdition) = "", offset: int = 0, limit: int = 100):
    if not request.user.can(Cap.FACILITY_VIEW):
        raise Forbidden()
    items, page = paginate(diagnosis_search(search=search, edition=edition), offset, limit)
    return {**page, "items": items}

"""慢病、大病与家庭病床 over the API: the chronic-disease register (list, read, certify, follow up, revoke), the
serious-illness records (list, read, record, follow up, close) and home sickbeds (list, read, open, visit,
close, settle). ID numbers are masked in every answer; inputs take them whole."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from ninja import Field, Router, Schema

from nrcms.accounts.roles import Cap
from nrcms.api.auth import requires
from nrcms.api.base import ERRORS, PageOut, paginate
from nrcms.api.choices import coded, coded_query
from nrcms.api.masked import MaskedIdNumber

from . import lists, services, sickbed
from .models import ChronicStatus, SeriousIllness, SeriousStatus, SickbedStatus

router = Router(tags=["慢病、大病与家庭病床"], auth=requires(Cap.CONDITIONS_VIEW))
MANAGE = requires(Cap.CONDITIONS_MANAGE)
BEDS_READ = requires(Cap.CONDITIONS_VIEW, Cap.HOME_SICKBED_MANAGE)
BEDS_WRITE = requires(Cap.HOME_SICKBED_MANAGE)


class ConditionsPersonOut(Schema):
    person_id: int
    name: str
    id_number: MaskedIdNumber
    region: str


def _person(p) -> dict:
    return {"person_id": p.pk, "name": p.name, "id_number": p.id_number, "region": p.household.region.full_name}


# ---- 慢性病认定 ----

class ChronicFollowUpOut(Schema):
    date: dt.date
    by_whom: str
    blood_pressure: str
    glucose: str
    note: str


class ChronicOut(Schema):
    id: int
    person: ConditionsPersonOut
    disease_code: str
    disease_name: str
    facility_code: str
    facility: str
    certified_on: dt.date
    valid_until: dt.date
    status: coded(ChronicStatus, description="状态（今天）")
    revoked_on: dt.date | None
    revoke_reason: str
    follow_ups: list[ChronicFollowUpOut] = []


class ChronicPage(PageOut):
    items: list[ChronicOut]


def _chronic(c, follow_ups: bool = False) -> dict:
    return {"id": c.pk, "person": _person(c.person), "disease_code": c.disease_code, "disease_name": c.disease_name,
            "facility_code": c.facility.code, "facility": c.facility.name, "certified_on": c.certified_on,
            "valid_until": c.valid_until, "status": c.status_on(timezone.localdate()), "revoked_on": c.revoked_on,
            "revoke_reason": c.revoke_reason,
            "follow_ups": [{"date": f.date, "by_whom": f.by_whom, "blood_pressure": f.blood_pressure,
                            "glucose": f.glucose, "note": f.note} for f in c.follow_ups.all()] if follow_ups else []}


@router.get("/chronic", response={200: ChronicPage, **ERRORS},
            summary="慢性病认定名单（姓名或身份证号、乡镇、病种、状态）")
def chronic_list(request, q: str = "", township: str = "", disease: str = "",
                 status: coded_query(ChronicStatus) = "", offset: int = 0, limit: int = 50):
    rows = lists.chronic_list(actor=request.user, q=q, township=township, disease=disease, status=status,
                              today=timezone.localdate())
    items, page = paginate(rows, offset, limit)
    return {**page, "items": [_chronic(c) for c in items]}


@router.get("/chronic/{cert_id}", response={200: ChronicOut, **ERRORS}, summary="一项慢性病认定及其随访")
def chronic_get(request, cert_id: int):
    return _chronic(lists.chronic_get(actor=request.user, pk=cert_id), follow_ups=True)


class ChronicCertifyIn(Schema):
    id_number: str = Field(max_length=18)
    disease_code: str = Field(max_length=20, description="补偿方案门诊慢性病病种编码，如 I10")
    facility_code: str = Field(max_length=20, description="认定医疗机构编码（县级及以上定点）")
    certified_on: dt.date
    valid_until: dt.date


@router.post("/chronic", response={200: ChronicOut, **ERRORS}, auth=MANAGE, summary="登记慢性病认定")
def chronic_certify(request, payload: ChronicCertifyIn):
    return _chronic(services.chronic_certify(actor=request.user, **payload.dict()))


class ChronicFollowUpIn(Schema):
    date: dt.date
    by_whom: str = Field(max_length=40)
    blood_pressure: str = Field("", max_length=40)
    glucose: str = Field("", max_length=40)
    note: str = Field("", max_length=500)


@router.post("/chronic/{cert_id}/follow-ups", response={200: ChronicOut, **ERRORS}, auth=MANAGE, summary="记录慢病随访")
def chronic_follow_up(request, cert_id: int, payload: ChronicFollowUpIn):
    cert = lists.chronic_get(actor=request.user, pk=cert_id)
    services.chronic_follow_up_record(actor=request.user, certificate=cert, **payload.dict())
    return _chronic(lists.chronic_get(actor=request.user, pk=cert_id), follow_ups=True)


class ChronicRevokeIn(Schema):
    revoked_on: dt.date
    reason: str = Field(max_length=300)


@router.post("/chronic/{cert_id}/revoke", response={200: ChronicOut, **ERRORS}, auth=MANAGE,
             summary="撤销慢性病认定（该日起就诊不再按慢性病补偿）")
def chronic_revoke(request, cert_id: int, payload: ChronicRevokeIn):
    cert = lists.chronic_get(actor=request.user, pk=cert_id)
    return _chronic(services.chronic_revoke(actor=request.user, certificate=cert, **payload.dict()), follow_ups=True)


# ---- 大病集中救治 ----

class SeriousFollowUpOut(Schema):
    date: dt.date
    by_whom: str
    note: str


class SeriousOut(Schema):
    id: int
    person: ConditionsPersonOut
    disease: coded(SeriousIllness, description="病种")
    facility_code: str
    facility: str
    pathway: str
    started_on: dt.date
    status: coded(SeriousStatus, description="状态")
    closed_on: dt.date | None
    close_note: str
    follow_ups: list[SeriousFollowUpOut] = []


class SeriousPage(PageOut):
    items: list[SeriousOut]


def _serious(c, follow_ups: bool = False) -> dict:
    return {"id": c.pk, "person": _person(c.person), "disease": c.disease, "facility_code": c.facility.code,
            "facility": c.facility.name, "pathway": c.pathway, "started_on": c.started_on, "status": c.status,
            "closed_on": c.closed_on, "close_note": c.close_note,
            "follow_ups": [{"date": f.date, "by_whom": f.by_whom, "note": f.note} for f in c.follow_ups.all()]
            if follow_ups else []}


@router.get("/serious", response={200: SeriousPage, **ERRORS}, summary="大病集中救治名单（姓名或身份证号、乡镇、病种、状态）")
def serious_list(request, q: str = "", township: str = "", disease: coded_query(SeriousIllness) = "",
                 status: coded_query(SeriousStatus) = "", offset: int = 0, limit: int = 50):
    rows = lists.serious_list(actor=request.user, q=q, township=township, disease=disease, status=status)
    items, page = paginate(rows, offset, limit)
    return {**page, "items": [_serious(c) for c in items]}


@router.get("/serious/{case_id}", response={200: SeriousOut, **ERRORS}, summary="一条大病集中救治记录及其随访")
def serious_get(request, case_id: int):
    return _serious(lists.serious_get(actor=request.user, pk=case_id), follow_ups=True)


class SeriousIn(Schema):
    id_number: str = Field(max_length=18)
    disease: coded(SeriousIllness, description="病种")
    facility_code: str = Field(max_length=20, description="定点救治医院编码（县级及以上定点）")
    pathway: str = Field(max_length=1000, description="临床路径")
    started_on: dt.date


@router.post("/serious", response={200: SeriousOut, **ERRORS}, auth=MANAGE, summary="登记大病集中救治")
def serious_record(request, payload: SeriousIn):
    return _serious(services.serious_case_record(actor=request.user, **payload.dict()))


class SeriousFollowUpIn(Schema):
    date: dt.date
    by_whom: str = Field(max_length=40)
    note: str = Field(max_length=500)


@router.post("/serious/{case_id}/follow-ups", response={200: SeriousOut, **ERRORS}, auth=MANAGE,
             summary="记录大病患者随访")
def serious_follow_up(request, case_id: int, payload: SeriousFollowUpIn):
    case = lists.serious_get(actor=request.user, pk=case_id)
    services.serious_follow_up_record(actor=request.user, case=case, **payload.dict())
    return _serious(lists.serious_get(actor=request.user, pk=case_id), follow_ups=True)


class SeriousCloseIn(Schema):
    status: coded(SeriousStatus, only=[SeriousStatus.COMPLETED, SeriousStatus.STOPPED], description="结束状态")
    closed_on: dt.date
    note: str = Field("", max_length=300)


@router.post("/serious/{case_id}/close", response={200: SeriousOut, **ERRORS}, auth=MANAGE, summary="结束大病集中救治")
def serious_close(request, case_id: int, payload: SeriousCloseIn):
    case = lists.serious_get(actor=request.user, pk=case_id)
    return _serious(services.serious_case_close(actor=request.user, case=case, **payload.dict()), follow_ups=True)


# ---- 家庭病床 ----

class SickbedVisitOut(Schema):
    date: dt.date
    services: str
    item_code: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


class SickbedOut(Schema):
    id: int
    number: str
    person: ConditionsPersonOut
    facility_code: str
    facility: str
    doctor: str
    diagnosis_code: str
    diagnosis_name: str
    opened_on: dt.date
    planned_days: int
    closed_on: dt.date | None
    status: coded(SickbedStatus, description="状态")
    visits: list[SickbedVisitOut]
    settlement_number: str | None
    fund_total: Decimal | None


class SickbedPage(PageOut):
    items: list[SickbedOut]


def _bed(b) -> dict:
    s = b.episode.settlements.filter(kind="settlement", status="active").first() if b.episode_id else None
    return {"id": b.pk, "number": b.number, "person": _person(b.person), "facility_code": b.facility.code,
            "facility": b.facility.name, "doctor": b.doctor, "diagnosis_code": b.diagnosis_code,
            "diagnosis_name": b.diagnosis_name, "opened_on": b.opened_on, "planned_days": b.planned_days,
            "closed_on": b.closed_on, "status": b.status,
            "visits": [{"date": v.date, "services": v.services, "item_code": v.item_code, "quantity": v.quantity,
                        "unit_price": v.unit_price, "amount": v.amount} for v in b.visits.all()],
            "settlement_number": s.number if s else None, "fund_total": s.fund_total if s else None}


@router.get("/sickbeds", response={200: SickbedPage, **ERRORS}, auth=BEDS_READ,
            summary="家庭病床（医疗机构：本机构的；县合管办等：辖区人员的）")
def sickbed_list(request, status: coded_query(SickbedStatus) = "", offset: int = 0, limit: int = 50):
    rows = sickbed.sickbeds(actor=request.user)
    if status:
        rows = rows.filter(status=status)
    items, page = paginate(rows.prefetch_related("visits"), offset, limit)
    return {**page, "items": [_bed(b) for b in items]}


@router.get("/sickbeds/{bed_id}", response={200: SickbedOut, **ERRORS}, auth=BEDS_READ, summary="一张家庭病床")
def sickbed_read(request, bed_id: int):
    return _bed(sickbed.sickbed_get(actor=request.user, pk=bed_id))


class SickbedOpenIn(Schema):
    id_number: str = Field(max_length=18)
    doctor: str = Field(max_length=40)
    diagnosis_code: str = Field(max_length=20)
    opened_on: dt.date
    planned_days: int = Field(ge=1, le=sickbed.MAX_PLANNED_DAYS)


@router.post("/sickbeds", response={200: SickbedOut, **ERRORS}, auth=BEDS_WRITE, summary="家庭病床建床（本机构）")
def sickbed_open(request, payload: SickbedOpenIn):
    return _bed(sickbed.sickbed_open(actor=request.user, **payload.dict()))


class SickbedVisitIn(Schema):
    date: dt.date
    services: str = Field(max_length=300)
    item_code: str = Field(max_length=40, description="本院收费项目编码（须已对照新农合目录）")
    quantity: Decimal = Field(gt=0, max_digits=10, decimal_places=2)
    unit_price: Decimal = Field(ge=0, max_digits=14, decimal_places=2)


@router.post("/sickbeds/{bed_id}/visits", response={200: SickbedOut, **ERRORS}, auth=BEDS_WRITE, summary="登记查床及费用")
def sickbed_visit(request, bed_id: int, payload: SickbedVisitIn):
    bed = sickbed.sickbed_get(actor=request.user, pk=bed_id)
    sickbed.sickbed_visit_record(actor=request.user, sickbed=bed, **payload.dict())
    return _bed(sickbed.sickbed_get(actor=request.user, pk=bed_id))


class SickbedCloseIn(Schema):
    closed_on: dt.date


@router.post("/sickbeds/{bed_id}/close", response={200: SickbedOut, **ERRORS}, auth=BEDS_WRITE, summary="撤床")
def sickbed_close(request, bed_id: int, payload: SickbedCloseIn):
    bed = sickbed.sickbed_get(actor=request.user, pk=bed_id)
    return _bed(sickbed.sickbed_close(actor=request.user, sickbed=bed, closed_on=payload.closed_on))


@router.post("/sickbeds/{bed_id}/settle", response={200: SickbedOut, **ERRORS}, auth=BEDS_WRITE,
             summary="家庭病床按住院结算（建床机构级别，建床日入院、撤床日出院，查床费用为住院费用；同窗口结算服务）")
def sickbed_settle(request, bed_id: int):
    bed = sickbed.sickbed_get(actor=request.user, pk=bed_id)
    sickbed.sickbed_settle(actor=request.user, sickbed=bed)
    return _bed(sickbed.sickbed_get(actor=request.user, pk=bed_id))

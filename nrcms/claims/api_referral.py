"""转诊备案 API: list (scoped by jurisdiction), record, get, cancel (作废)."""

from __future__ import annotations

import datetime as dt

from django.db.models import TextChoices
from ninja import Router, Schema, Status

from nrcms.accounts.roles import Cap
from nrcms.api.auth import requires
from nrcms.api.base import ERRORS, PageOut, paginate
from nrcms.api.choices import coded_query
from nrcms.api.masked import MaskedIdNumber
from nrcms.core.errors import ValidationFailed
from nrcms.facilities.models import Facility

from .models import Referral
from .referral import referral_cancel, referral_get, referral_list, referral_person, referral_record

router = Router(tags=["转诊备案"], auth=requires(Cap.REFERRAL_RECORD))


class ReferralState(TextChoices):
    """The list's filter: a referral has no status column, only `cancelled`."""

    ACTIVE = "active", "有效"
    CANCELLED = "cancelled", "已作废"


class ReferralIn(Schema):
    id_number: str
    diagnosis_code: str
    approved_on: dt.date
    from_facility_code: str = ""
    to_facility_code: str = ""
    to_name: str = ""
    valid_until: dt.date | None = None
    reason: str = ""


class ReferralOut(Schema):
    number: str
    person_name: str
    id_number: MaskedIdNumber
    region: str
    from_facility_code: str | None
    from_facility_name: str | None
    to_facility_code: str | None
    to_name: str
    diagnosis_code: str
    reason: str
    approved_on: dt.date
    valid_until: dt.date
    approved_by: str | None
    cancelled: bool
    cancelled_at: dt.datetime | None
    cancel_reason: str


class ReferralPage(PageOut):
    items: list[ReferralOut]


class ReferralCancelIn(Schema):
    reason: str


def _out(r: Referral) -> dict:
    return {"number": r.number, "person_name": r.person.name, "id_number": r.person.id_number,
            "region": r.person.household.region.full_name,
            "from_facility_code": r.from_facility.code if r.from_facility else None,
            "from_facility_name": r.from_facility.name if r.from_facility else None,
            "to_facility_code": r.to_facility.code if r.to_facility else None, "to_name": r.destination,
            "diagnosis_code": r.diagnosis_code, "reason": r.reason, "approved_on": r.approved_on,
            "valid_until": r.valid_until, "approved_by": r.approved_by.username if r.approved_by else None,
            "cancelled": r.cancelled, "cancelled_at": r.cancelled_at, "cancel_reason": r.cancel_reason}


def _facility(code: str, field: str) -> Facility | None:
    code = (code or "").strip()
    if not code:
        return None
    facility = Facility.objects.filter(code=code).first()
    if facility is None:
        raise ValidationFailed("not_found", f"医疗机构编码 {code} 不存在", field=field)
    return facility


@router.get("", response={200: ReferralPage, **ERRORS},
            summary="转诊备案列表（本辖区；q 按转诊单号、姓名、拼音首字母或身份证号；status：active 有效 / cancelled 已作废）")
def referrals(request, q: str = "", status: coded_query(ReferralState) = "", offset: int = 0, limit: int = 50):
    items, page = paginate(referral_list(actor=request.user, q=q, status=status), offset, limit)
    return {**page, "items": [_out(r) for r in items]}


@router.post("", response={201: ReferralOut, **ERRORS},
             summary="备案转诊（乡镇经办员限本乡镇居民，县合管办不限；须当年参合；只向上级或县外转；有效期默认 30 天）")
def record(request, payload: ReferralIn):
    person = referral_person(actor=request.user, id_number=payload.id_number)
    referral = referral_record(
        actor=request.user, person=person,
        from_facility=_facility(payload.from_facility_code, "from_facility_code"),
        to_facility=_facility(payload.to_facility_code, "to_facility_code"), to_name=payload.to_name,
        diagnosis_code=payload.diagnosis_code, approved_on=payload.approved_on, valid_until=payload.valid_until,
        reason=payload.reason)
    return Status(201, _out(referral_get(actor=request.user, number=referral.number)))


@router.get("/{number}", response={200: ReferralOut, **ERRORS}, summary="一张转诊单")
def referral(request, number: str):
    return _out(referral_get(actor=request.user, number=number))


@router.post("/{number}/cancel", response={200: ReferralOut, **ERRORS},
             summary="作废转诊单（须填原因；已用于住院或手工报销的不能作废）")
def cancel(request, number: str, payload: ReferralCancelIn):
    referral = referral_cancel(actor=request.user, referral=referral_get(actor=request.user, number=number),
                               reason=payload.reason)
    return _out(referral_get(actor=request.user, number=referral.number))

"""Writes to the chronic-disease register and the serious-illness records; each checked, audited, and done in
one transaction. Home sickbeds are in sickbed.py."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import region_q
from nrcms.accounts.services import require
from nrcms.core.errors import NotFound, ValidationFailed
from nrcms.facilities.models import DesignationStatus, Facility
from nrcms.facilities.services import facility_status_on
from nrcms.registry.models import Person

from .models import (
    ChronicCertificate,
    ChronicFollowUp,
    ChronicStatus,
    SeriousFollowUp,
    SeriousIllness,
    SeriousIllnessCase,
    SeriousStatus,
)
from .selectors import chronic_diseases

COUNTY_OR_ABOVE = ("county", "prefecture", "province")


def text_required(value: str, label: str, field: str, limit: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed("required", f"{label}不能为空", field=field)
    if len(value) > limit:
        raise ValidationFailed("too_long", f"{label}最多 {limit} 个字，现有 {len(value)} 个字", field=field)
    return value


def date_required(value: dt.date | None, label: str, field: str, *, not_future: bool = True) -> dt.date:
    if value is None:
        raise ValidationFailed("required", f"{label}不能为空", field=field)
    if not_future and value > timezone.localdate():
        raise ValidationFailed("invalid", f"{label} {value} 晚于今天", field=field)
    return value


def person_by_id_number(actor: User, id_number: str) -> Person:
    """A registered person in the actor's jurisdiction, by ID number."""
    number = (id_number or "").strip().upper()
    if not number:
        raise ValidationFailed("required", "身份证号不能为空", field="id_number")
    person = (Person.objects.filter(region_q(actor, "household__region__code"), id_number=number)
              .select_related("household__region").first())
    if person is None:
        raise ValidationFailed("not_found", f"身份证号 {number} 未在本辖区新农合登记", field="id_number")
    return person


def person_get(*, actor: User, person_id: int) -> Person:
    person = (Person.objects.filter(region_q(actor, "household__region__code"), pk=person_id)
              .select_related("household__region").first())
    if person is None:
        raise NotFound("人员", person_id)
    return person


def designated_hospital(code: str, on: dt.date, what: str, field: str = "facility") -> Facility:
    """A facility designated on `on` and of county level or above (县级及以上定点医疗机构)."""
    facility = Facility.objects.filter(code=(code or "").strip()).first()
    if facility is None:
        raise ValidationFailed("not_found", f"{what}（{field}）：机构编码“{(code or '')[:20]}”不存在", field=field)
    if facility.level not in COUNTY_OR_ABOVE:
        raise ValidationFailed("level_too_low", f"{what}须为县级及以上定点医疗机构，{facility.name}是"
                               f"{facility.get_level_display()}", field=field)
    if facility_status_on(facility, on) != DesignationStatus.DESIGNATED:
        raise ValidationFailed("facility_not_designated", f"{facility.name}在 {on} 不是新农合定点医疗机构，不能作为{what}",
                               field=field)
    return facility


# ---- 慢性病认定 ----

@transaction.atomic
def chronic_certify(*, actor: User, id_number: str, disease_code: str, facility_code: str,
                    certified_on: dt.date | None, valid_until: dt.date | None, note: str = "") -> ChronicCertificate:
    """Record a certificate: the disease from the scheme's chronic list in force on the day, a designated
    hospital of county level or above, a validity that starts on the certified day; one valid certificate per
    person and disease at a time. `note` (a batch sheet's 备注) is kept as the audit record's reason."""
    require(actor, Cap.CONDITIONS_MANAGE)
    note = text_required(note, "备注", "note", 300, required=False)
    person = person_by_id_number(actor, id_number)
    certified_on = date_required(certified_on, "认定日期", "certified_on")
    if valid_until is None:
        raise ValidationFailed("required", "有效期至不能为空", field="valid_until")
    if valid_until < certified_on:
        raise ValidationFailed("invalid", f"有效期至 {valid_until} 早于认定日期 {certified_on}", field="valid_until")
    listed = dict(chronic_diseases(certified_on, person.household.region.code))
    code = (disease_code or "").strip().upper()
    if code not in listed:
        shown = "、".join(f"{c} {n}" for c, n in listed.items()) or "（本方案没有门诊慢性病病种）"
        raise ValidationFailed("not_listed", f"病种编码“{code[:20]}”不在补偿方案的门诊慢性病病种中，应为：{shown}",
                               field="disease_code")
    facility = designated_hospital(facility_code, certified_on, "认定医疗机构", "facility_code")
    overlapping = (ChronicCertificate.objects.select_for_update().filter(
        person=person, disease_code=code, status=ChronicStatus.CERTIFIED, valid_until__gte=certified_on,
        certified_on__lte=valid_until).first())
    if overlapping is not None:
        raise ValidationFailed("duplicate", f"{person.name}已有{overlapping.disease_name}认定（{overlapping.certified_on} 至 "
                               f"{overlapping.valid_until}），有效期重叠；如需重新认定请先撤销原认定", field="disease_code")
    cert = ChronicCertificate.objects.create(person=person, disease_code=code, disease_name=listed[code],
                                             facility=facility, certified_on=certified_on, valid_until=valid_until,
                                             recorded_by=actor)
    audit_record(actor=actor, action="chronic.certify", obj=cert, object_repr=f"{person.name} {cert}",
                 reason=note, region_code=person.household.region.code,
                 after={"person": person.pk, "disease_code": code, "facility": facility.code,
                        "certified_on": certified_on, "valid_until": valid_until})
    return cert


@transaction.atomic
def chronic_revoke(*, actor: User, certificate: ChronicCertificate, revoked_on: dt.date | None,
                   reason: str) -> ChronicCertificate:
    require(actor, Cap.CONDITIONS_MANAGE)
    cert = ChronicCertificate.objects.select_for_update().get(pk=certificate.pk)
    if cert.status == ChronicStatus.REVOKED:
        raise ValidationFailed("already_revoked", f"该认定已于 {cert.revoked_on} 撤销", field="certificate")
    reason = text_required(reason, "撤销原因", "reason", 300)
    revoked_on = date_required(revoked_on, "撤销日期", "revoked_on")
    if revoked_on < cert.certified_on:
        raise ValidationFailed("invalid", f"撤销日期 {revoked_on} 早于认定日期 {cert.certified_on}", field="revoked_on")
    cert.status, cert.revoked_on, cert.revoke_reason, cert.revoked_by = ChronicStatus.REVOKED, revoked_on, reason, actor
    cert.save(update_fields=["status", "revoked_on", "revoke_reason", "revoked_by"])
    audit_record(actor=actor, action="chronic.revoke", obj=cert, object_repr=f"{cert.person.name} {cert}",
                 reason=reason, region_code=cert.person.household.region.code,
                 before={"status": ChronicStatus.CERTIFIED}, after={"status": ChronicStatus.REVOKED,
                                                                    "revoked_on": revoked_on})
    return cert


@transaction.atomic
def chronic_follow_up_record(*, actor: User, certificate: ChronicCertificate, date: dt.date | None, by_whom: str,
                             blood_pressure: str = "", glucose: str = "", note: str = "") -> ChronicFollowUp:
    require(actor, Cap.CONDITIONS_MANAGE)
    date = date_required(date, "随访日期", "date")
    if date < certificate.certified_on:
        raise ValidationFailed("invalid", f"随访日期 {date} 早于认定日期 {certificate.certified_on}", field="date")
    row = ChronicFollowUp.objects.create(
        certificate=certificate, date=date, by_whom=text_required(by_whom, "随访人", "by_whom", 40),
        blood_pressure=text_required(blood_pressure, "血压", "blood_pressure", 40, required=False),
        glucose=text_required(glucose, "血糖", "glucose", 40, required=False),
        note=text_required(note, "随访情况", "note", 500, required=False), recorded_by=actor)
    audit_record(actor=actor, action="chronic.follow_up", obj=row, object_repr=f"{certificate.person.name} {row}",
                 region_code=certificate.person.household.region.code,
                 after={"certificate": certificate.pk, "date": date, "by_whom": row.by_whom,
                        "blood_pressure": row.blood_pressure, "glucose": row.glucose, "note": row.note})
    return row


# ---- 大病集中救治 ----

@transaction.atomic
def serious_case_record(*, actor: User, id_number: str, disease: str, facility_code: str, pathway: str,
                        started_on: dt.date | None) -> SeriousIllnessCase:
    require(actor, Cap.CONDITIONS_MANAGE)
    person = person_by_id_number(actor, id_number)
    if disease not in SeriousIllness.values:
        raise ValidationFailed("invalid", f"病种“{(disease or '')[:30]}”不在大病集中救治病种名单中", field="disease")
    started_on = date_required(started_on, "开始救治日期", "started_on")
    facility = designated_hospital(facility_code, started_on, "定点救治医院", "facility_code")
    if SeriousIllnessCase.objects.filter(person=person, disease=disease, status=SeriousStatus.TREATING).exists():
        raise ValidationFailed("duplicate", f"{person.name}的{SeriousIllness(disease).label}已在救治中，不能重复登记",
                               field="disease")
    case = SeriousIllnessCase.objects.create(person=person, disease=disease, facility=facility, started_on=started_on,
                                             pathway=text_required(pathway, "临床路径", "pathway", 1000),
                                             recorded_by=actor)
    audit_record(actor=actor, action="serious.record", obj=case, object_repr=f"{person.name} {case}",
                 region_code=person.household.region.code,
                 after={"person": person.pk, "disease": disease, "facility": facility.code, "started_on": started_on,
                        "pathway": case.pathway})
    return case


@transaction.atomic
def serious_case_close(*, actor: User, case: SeriousIllnessCase, status: str, closed_on: dt.date | None,
                       note: str) -> SeriousIllnessCase:
    require(actor, Cap.CONDITIONS_MANAGE)
    case = SeriousIllnessCase.objects.select_for_update().get(pk=case.pk)
    if case.status != SeriousStatus.TREATING:
        raise ValidationFailed("closed", f"该救治记录已{case.get_status_display()}", field="status")
    if status not in (SeriousStatus.COMPLETED, SeriousStatus.STOPPED):
        raise ValidationFailed("invalid", "结束状态应为“救治完成”或“终止救治”", field="status")
    closed_on = date_required(closed_on, "结束日期", "closed_on")
    if closed_on < case.started_on:
        raise ValidationFailed("invalid", f"结束日期 {closed_on} 早于开始救治日期 {case.started_on}", field="closed_on")
    case.status, case.closed_on = status, closed_on
    case.close_note = text_required(note, "结束说明", "note", 300, required=status == SeriousStatus.STOPPED)
    case.save(update_fields=["status", "closed_on", "close_note"])
    audit_record(actor=actor, action="serious.close", obj=case, object_repr=f"{case.person.name} {case}",
                 region_code=case.person.household.region.code, before={"status": SeriousStatus.TREATING},
                 after={"status": status, "closed_on": closed_on, "close_note": case.close_note})
    return case


@transaction.atomic
def serious_follow_up_record(*, actor: User, case: SeriousIllnessCase, date: dt.date | None, by_whom: str,
                             note: str) -> SeriousFollowUp:
    require(actor, Cap.CONDITIONS_MANAGE)
    date = date_required(date, "随访日期", "date")
    if date < case.started_on:
        raise ValidationFailed("invalid", f"随访日期 {date} 早于开始救治日期 {case.started_on}", field="date")
    row = SeriousFollowUp.objects.create(case=case, date=date, by_whom=text_required(by_whom, "随访人", "by_whom", 40),
                                         note=text_required(note, "随访情况", "note", 500), recorded_by=actor)
    audit_record(actor=actor, action="serious.follow_up", obj=row, object_repr=f"{case.person.name} {row}",
                 region_code=case.person.household.region.code,
                 after={"case": case.pk, "date": date, "by_whom": row.by_whom, "note": row.note})
    return row

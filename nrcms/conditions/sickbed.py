"""家庭病床 (home sickbeds): opened, visited and closed by the desk of a designated facility, then settled
under the scheme's rules as an inpatient stay at that facility — admission on the opening day, discharge on
the closing day, the visits' charges as the bill — through the desk's own services (admission_register,
charges_upload, episode_discharge, settlement_settle): one engine, so the deductible, tiers, cap and the
layers after the basic scheme apply as to any stay at that level. (docs/guide/chronic-and-serious-illness.md)"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import region_q
from nrcms.claims.desk import episode_discharge
from nrcms.claims.desk_admission import AdmissionInput, admission_register, diagnosis_resolve
from nrcms.claims.desk_charges import ChargeInput, charges_upload
from nrcms.claims.desk_rules import desk_facility
from nrcms.claims.models import Settlement
from nrcms.claims.settlement import settlement_settle
from nrcms.core.errors import Forbidden, NotFound, ValidationFailed
from nrcms.core.money import round_amount
from nrcms.facilities.models import DesignationStatus
from nrcms.facilities.services import facility_status_on
from nrcms.registry.models import Person

from .models import HomeSickbed, HomeSickbedVisit, SickbedStatus
from .services import date_required, text_required

MAX_PLANNED_DAYS = 365


def sickbeds(*, actor: User):
    """The beds the actor sees: a desk its own facility's, a viewer those of its jurisdiction's people."""
    qs = HomeSickbed.objects.select_related("person__household__region", "facility")
    if actor.can(Cap.HOME_SICKBED_MANAGE) and actor.facility_id is not None:
        return qs.filter(facility_id=actor.facility_id)
    if actor.can(Cap.CONDITIONS_VIEW):
        return qs.filter(region_q(actor, "person__household__region__code"))
    raise Forbidden()


def sickbed_get(*, actor: User, pk: int) -> HomeSickbed:
    bed = sickbeds(actor=actor).filter(pk=pk).first()
    if bed is None:
        raise NotFound("家庭病床", pk)
    return bed


def _own(actor: User, bed: HomeSickbed) -> HomeSickbed:
    facility = desk_facility(actor)
    locked = HomeSickbed.objects.select_for_update().filter(pk=bed.pk, facility=facility).first()
    if locked is None:
        raise NotFound("家庭病床", bed.pk)
    return locked


@transaction.atomic
def sickbed_open(*, actor: User, id_number: str, doctor: str, diagnosis_code: str, opened_on: dt.date | None,
                 planned_days: int | None) -> HomeSickbed:
    facility = desk_facility(actor)
    opened_on = date_required(opened_on, "建床日期", "opened_on")
    if facility_status_on(facility, opened_on) != DesignationStatus.DESIGNATED:
        raise ValidationFailed("facility_not_designated", f"{facility.name}在 {opened_on} 不是定点医疗机构，不能建家庭病床",
                               field="facility")
    number = (id_number or "").strip().upper()
    person = Person.objects.select_related("household__region").filter(id_number=number).first()
    if person is None:
        raise ValidationFailed("not_found", f"身份证号 {number or '（空）'} 未在新农合登记", field="id_number")
    if not person.enrollments.filter(scheme_year=opened_on.year, status="enrolled").exists():
        raise ValidationFailed("not_enrolled", f"{person.name}未参加 {opened_on.year} 年度新农合，不能建家庭病床",
                               field="id_number")
    if planned_days is None or not 1 <= planned_days <= MAX_PLANNED_DAYS:
        raise ValidationFailed("invalid", f"计划天数应为 1 到 {MAX_PLANNED_DAYS} 天", field="planned_days")
    if not (diagnosis_code or "").strip():
        raise ValidationFailed("required", "诊断编码不能为空", field="diagnosis_code")
    code, name = diagnosis_resolve(diagnosis_code)
    if HomeSickbed.objects.filter(person=person, status=SickbedStatus.OPEN).exists():
        raise ValidationFailed("duplicate", f"{person.name}已有在床的家庭病床，须先撤床", field="id_number")
    bed = HomeSickbed.objects.create(person=person, facility=facility, opened_on=opened_on, planned_days=planned_days,
                                     doctor=text_required(doctor, "责任医生", "doctor", 40), diagnosis_code=code,
                                     diagnosis_name=name, recorded_by=actor)
    audit_record(actor=actor, action="sickbed.open", obj=bed, object_repr=f"{person.name} {bed.number}",
                 facility_code=facility.code, region_code=person.household.region.code,
                 after={"person": person.pk, "doctor": bed.doctor, "diagnosis_code": code, "opened_on": opened_on,
                        "planned_days": planned_days})
    return bed


@transaction.atomic
def sickbed_visit_record(*, actor: User, sickbed: HomeSickbed, date: dt.date | None, services: str, item_code: str,
                         quantity: Decimal | None, unit_price: Decimal | None) -> HomeSickbedVisit:
    """A visit and its charge: one line of the facility's own catalogue, mapped and in force on the day."""
    from nrcms.facilities.catalogue import charges_resolve

    bed = _own(actor, sickbed)
    if bed.status != SickbedStatus.OPEN:
        raise ValidationFailed("closed", f"家庭病床 {bed.number} {bed.get_status_display()}，不能再登记查床", field="sickbed")
    date = date_required(date, "查床日期", "date")
    if date < bed.opened_on:
        raise ValidationFailed("invalid", f"查床日期 {date} 早于建床日期 {bed.opened_on}", field="date")
    if quantity is None or quantity <= 0:
        raise ValidationFailed("invalid", "数量应大于 0", field="quantity")
    if unit_price is None or unit_price < 0:
        raise ValidationFailed("invalid", "单价不能为负数", field="unit_price")
    code = text_required(item_code, "收费项目编码", "item_code", 40)
    resolution = charges_resolve(facility=bed.facility, facility_item_codes=[code], on=date)
    if code not in resolution.resolved:
        raise ValidationFailed("unmapped", f"院内收费项目编码 {code} 在 {date} 未对照到新农合目录，不能计费", field="item_code")
    visit = HomeSickbedVisit.objects.create(
        sickbed=bed, date=date, services=text_required(services, "服务内容", "services", 300), item_code=code,
        quantity=quantity, unit_price=round_amount(unit_price), amount=round_amount(quantity * unit_price),
        recorded_by=actor)
    audit_record(actor=actor, action="sickbed.visit", obj=bed, object_repr=f"{bed.person.name} {bed.number}",
                 facility_code=bed.facility.code, region_code=bed.person.household.region.code,
                 after={"date": date, "services": visit.services, "item_code": code, "quantity": quantity,
                        "unit_price": visit.unit_price, "amount": visit.amount})
    return visit


@transaction.atomic
def sickbed_close(*, actor: User, sickbed: HomeSickbed, closed_on: dt.date | None) -> HomeSickbed:
    bed = _own(actor, sickbed)
    if bed.status != SickbedStatus.OPEN:
        raise ValidationFailed("closed", f"家庭病床 {bed.number} {bed.get_status_display()}", field="sickbed")
    closed_on = date_required(closed_on, "撤床日期", "closed_on")
    if closed_on < bed.opened_on:
        raise ValidationFailed("invalid", f"撤床日期 {closed_on} 早于建床日期 {bed.opened_on}", field="closed_on")
    last = bed.visits.order_by("-date").first()
    if last is not None and last.date > closed_on:
        raise ValidationFailed("invalid", f"撤床日期 {closed_on} 早于最后一次查床 {last.date}", field="closed_on")
    bed.status, bed.closed_on = SickbedStatus.CLOSED, closed_on
    bed.save(update_fields=["status", "closed_on"])
    audit_record(actor=actor, action="sickbed.close", obj=bed, object_repr=f"{bed.person.name} {bed.number}",
                 facility_code=bed.facility.code, region_code=bed.person.household.region.code,
                 before={"status": SickbedStatus.OPEN}, after={"status": SickbedStatus.CLOSED, "closed_on": closed_on})
    return bed


@transaction.atomic
def sickbed_settle(*, actor: User, sickbed: HomeSickbed) -> Settlement:
    """Settle a closed bed as an inpatient stay at its facility, through the desk's services (see the module)."""
    bed = _own(actor, sickbed)
    if bed.status == SickbedStatus.SETTLED:  # again: its settlement; after a reversal (冲正) at the desk, anew
        return settlement_settle(actor=actor, episode=bed.episode)[0]
    if bed.status != SickbedStatus.CLOSED:
        raise ValidationFailed("not_closed", f"家庭病床 {bed.number} 尚未撤床，撤床后才能结算", field="sickbed")
    visits = list(bed.visits.order_by("date", "id"))
    if not visits:
        raise ValidationFailed("no_charges", f"家庭病床 {bed.number} 没有查床费用，不能结算", field="sickbed")
    episode, _ = admission_register(actor=actor, data=AdmissionInput(
        serial=bed.number, kind="inpatient", id_number=bed.person.id_number, admission_date=bed.opened_on,
        diagnosis_code=bed.diagnosis_code, diagnosis_name=bed.diagnosis_name, department="家庭病床"))
    result = charges_upload(actor=actor, episode=episode, lines=[
        ChargeInput(line_no=n, facility_item_code=v.item_code, item_name=v.services[:100], charged_on=v.date,
                    quantity=v.quantity, unit_price=v.unit_price, amount=v.amount)
        for n, v in enumerate(visits, start=1)])
    if not result.ok:
        raise ValidationFailed("charges_refused", "家庭病床费用不能上传：" + "；".join(e["message"] for e in result.errors[:5]),
                               field="visits")
    episode = episode_discharge(actor=actor, episode=episode, discharge_date=bed.closed_on)
    settlement, _ = settlement_settle(actor=actor, episode=episode, idempotency_key=f"home-sickbed-{bed.pk}")
    bed.status, bed.episode = SickbedStatus.SETTLED, episode
    bed.save(update_fields=["status", "episode"])
    audit_record(actor=actor, action="sickbed.settle", obj=bed, object_repr=f"{bed.person.name} {bed.number}",
                 facility_code=bed.facility.code, region_code=bed.person.household.region.code,
                 before={"status": SickbedStatus.CLOSED},
                 after={"status": SickbedStatus.SETTLED, "settlement": settlement.number,
                        "total_cost": settlement.total_cost, "fund_total": settlement.fund_total})
    return settlement

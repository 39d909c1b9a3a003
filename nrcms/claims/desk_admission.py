"""The desk's first step: register an admission or an outpatient visit (idempotent on the facility's own
serial: a hospital system that retries after a timeout never creates a second admission), and the rule
that one person has one hospital bed at a time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.core.errors import Conflict, ValidationFailed
from nrcms.facilities.models import DesignationStatus, Diagnosis, Facility, IcdEdition
from nrcms.facilities.services import facility_status_on
from nrcms.registry.models import EnrollmentStatus, Person, PersonStatus

from .desk_rules import check_length, desk_facility, today
from .models import Episode, EpisodeKind, EpisodeStatus
from .referral import referral_check


@dataclass(frozen=True)
class AdmissionInput:
    serial: str
    kind: str
    id_number: str
    admission_date: dt.date
    diagnosis_code: str = ""
    diagnosis_name: str = ""
    referral_number: str = ""
    department: str = ""


def diagnosis_resolve(code: str, name: str = "") -> tuple[str, str]:
    """(code, name) as the county's ICD-10 list spells them: the code matched case-insensitively (I10.x →
    I10.X), the clinical edition first; an empty name is filled from the list. An empty code stays empty;
    a code not on the list is refused."""
    code = (code or "").strip()
    name = (name or "").strip()
    if not code:
        return "", name
    rows = {d.edition: d for d in Diagnosis.objects.filter(code__iexact=code)}
    row = rows.get(IcdEdition.CLINICAL) or rows.get(IcdEdition.INSURANCE)
    if row is None:
        raise ValidationFailed("unknown_diagnosis", f"诊断编码（diagnosis_code）“{code}”不在本县 ICD-10 诊断目录中，"
                               "请从目录中选择", field="diagnosis_code")
    return row.code, name or row.name


def no_overlapping_stay(person: Person, admission: dt.date, discharge: dt.date | None,
                         exclude: int | None = None) -> None:
    """One person, one hospital bed at a time: an inpatient stay may not overlap another open or settled
    inpatient stay at any facility. A stay runs from admission up to its discharge day, so a transfer
    discharged and admitted on the same day does not overlap; two stays admitted the same day always do.
    At registration (no discharge yet) the new stay may not begin inside another stay nor sit beside another
    open one; a stay that starts later is checked when this one is discharged."""
    others = (Episode.objects.filter(person=person, kind=EpisodeKind.INPATIENT)
              .exclude(status=EpisodeStatus.CANCELLED).select_related("facility"))
    if exclude is not None:
        others = others.exclude(pk=exclude)
    for other in others.order_by("admission_date", "id"):
        other_end = other.discharge_date
        if other.admission_date == admission:
            overlaps = True
        elif other.admission_date < admission:
            overlaps = other_end is None or admission < other_end
        else:  # the other stay starts later
            overlaps = (other_end is None and discharge is None) or (discharge is not None
                                                                     and other.admission_date < discharge)
        if overlaps:
            stay = f"{other.admission_date} 至 {other_end or '今（在院）'}"
            raise ValidationFailed("overlapping_stay", f"{person.name}在{other.facility.name}已有住院 {other.serial}"
                                   f"（{stay}，{other.get_status_display()}），与本次住院时间重叠；"
                                   "同一人同一时间只能有一次住院",
                                   field="admission_date" if discharge is None else "discharge_date",
                                   details=[{"facility": other.facility.code, "serial": other.serial}])


def _admission_values(facility: Facility, data: AdmissionInput) -> dict:
    if not (data.serial or "").strip():
        raise ValidationFailed("required", "就诊流水号不能为空", field="serial")
    for name in ("serial", "department", "diagnosis_code", "diagnosis_name", "referral_number"):
        check_length(name, (getattr(data, name) or "").strip())
    if data.kind not in EpisodeKind.values:
        raise ValidationFailed("invalid", f"就诊类别“{data.kind}”应为 inpatient（住院）或 outpatient（门诊）", field="kind")
    if data.admission_date > today():
        raise ValidationFailed("invalid", f"入院日期 {data.admission_date} 晚于今天", field="admission_date")
    status = facility_status_on(facility, data.admission_date)
    if status != DesignationStatus.DESIGNATED:
        raise ValidationFailed("facility_not_designated",
                               f"{facility.name}在 {data.admission_date} 的定点状态为“{DesignationStatus(status).label}”，"
                               "不能办理新农合就诊", field="facility")
    person = Person.objects.select_related("household").filter(id_number=data.id_number.strip().upper()).first()
    if person is None:
        raise ValidationFailed("not_found", f"身份证号 {data.id_number} 未在新农合登记", field="id_number")
    if person.status == PersonStatus.DECEASED and person.status_date and person.status_date < data.admission_date:
        raise ValidationFailed("deceased", f"{person.name}已于 {person.status_date} 登记死亡", field="id_number")
    year = data.admission_date.year
    enrollment = person.enrollments.filter(scheme_year=year, status=EnrollmentStatus.ENROLLED).first()
    if enrollment is None:
        raise ValidationFailed("not_enrolled", f"{person.name}未参加 {year} 年度新农合，不能按新农合登记入院",
                               field="id_number")
    referral = None
    if data.referral_number.strip():  # the shared rule (referral.py): own, this facility, filed ≤ 7 days after
        referral, problem = referral_check(number=data.referral_number, person=person, facility=facility,
                                           admission_date=data.admission_date)
        if problem is not None:
            raise ValidationFailed(problem.code, problem.message, field="referral_number")
    diagnosis_code, diagnosis_name = diagnosis_resolve(data.diagnosis_code, data.diagnosis_name)
    return {
        "kind": data.kind, "person": person, "household": person.household, "enrollment": enrollment,
        "scheme_year": year, "admission_date": data.admission_date, "diagnosis_code": diagnosis_code,
        "diagnosis_name": diagnosis_name, "referral": referral, "department": (data.department or "").strip(),
    }


@transaction.atomic
def admission_register(*, actor: User, data: AdmissionInput) -> tuple[Episode, bool]:
    """Register an admission or visit. The same serial with the same particulars returns the first
    registration (created=False); with different particulars it is refused."""
    facility = desk_facility(actor)
    values = _admission_values(facility, data)
    existing = Episode.objects.select_for_update().filter(facility=facility, serial=data.serial.strip()).first()
    if existing is not None:
        if existing.status == EpisodeStatus.CANCELLED:
            raise Conflict("serial_cancelled", f"流水号 {existing.serial} 的登记已撤销，不能再用；请用新的流水号登记",
                           field="serial")
        differing = [k for k, v in values.items() if getattr(existing, k) != v]
        if differing:
            raise Conflict("serial_reused", f"流水号 {data.serial} 已登记为另一次就诊（{existing.person.name}，"
                           f"{existing.admission_date}），不能重复使用", field="serial")
        return existing, False
    if data.kind == EpisodeKind.INPATIENT:
        # The person's row is locked so two desks cannot admit the same person at the same moment.
        Person.objects.select_for_update().filter(pk=values["person"].pk).first()
        no_overlapping_stay(values["person"], data.admission_date, None)
    episode = Episode.objects.create(facility=facility, serial=data.serial.strip(), created_by=actor, **values)
    audit_record(actor=actor, action="episode.register", obj=episode, facility_code=facility.code,
                 region_code=episode.household.region.code,
                 after={"serial": episode.serial, "person": episode.person.id_number, "kind": episode.kind,
                        "admission_date": episode.admission_date, "referral": data.referral_number})
    return episode, True

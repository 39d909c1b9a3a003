"""Enrollment (参合) by whole household, and the household certificate (合作医疗证)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.core.errors import Conflict, ValidationFailed
from nrcms.core.masking import mask_id

from . import enrolled_counts
from .models import (
    Certificate,
    CertificateStatus,
    Enrollment,
    EnrollmentExemption,
    EnrollmentStatus,
    ExemptionReason,
    Household,
    Person,
    PersonStatus,
)
from .people import require_household_edit, sequence_take

FIRST_SCHEME_YEAR = 2003  # the scheme's national pilots began in 2003
CERTIFICATE_SEQ_DIGITS = 8


@dataclass(frozen=True)
class EnrollResult:
    enrolled: list[Person]
    exempted: list[Person]


def check_scheme_year(year: int) -> None:
    latest = dt.date.today().year + 1
    if not FIRST_SCHEME_YEAR <= year <= latest:
        raise ValidationFailed("invalid", f"参合年度 {year} 无效：应在 {FIRST_SCHEME_YEAR} 到 {latest} 之间",
                               field="scheme_year")


def check_exemption(person_name: str, reason: str, note: str) -> None:
    if reason not in ExemptionReason.values:
        raise ValidationFailed("invalid", f"{person_name}的未参合原因“{reason}”不是有效选项", field="exemptions")
    if reason == ExemptionReason.OTHER and not (note or "").strip():
        raise ValidationFailed("required", f"{person_name}的未参合原因为“其他”，须填写说明", field="exemptions")


def _member_label(p: Person) -> str:
    return f"{p.name}（{mask_id(p.id_number)}）"


@transaction.atomic
def household_enroll(
    *,
    actor: User,
    household: Household,
    scheme_year: int,
    exemptions: dict[int, tuple[str, str]] | None = None,
    person_ids: list[int] | None = None,
    authority: str = "",
) -> EnrollResult:
    """Enroll the household for the year: the members in `person_ids` (default: every active member without
    a reason). A member left out needs a reason in `exemptions` ({person_id: (reason, note)}); otherwise the
    whole enrollment is refused, naming each missing member. Running it again enrolls only members added
    since (a newborn), and refuses when nothing is left to do."""
    require_household_edit(actor, household)
    check_scheme_year(scheme_year)
    exemptions = exemptions or {}
    if not household.is_active:
        raise ValidationFailed("invalid", f"户 {household.number} 已注销，不能参合", field="household")
    members = list(household.members.filter(status=PersonStatus.ACTIVE).order_by("id"))
    by_id = {m.pk: m for m in members}
    strangers = [pid for pid in exemptions if pid not in by_id]
    if strangers:
        raise ValidationFailed("invalid", f"人员编号 {', '.join(map(str, strangers))} 不是本户在册成员，"
                               "不能登记未参合原因", field="exemptions")
    enrolled = {e.person_id: e for e in Enrollment.objects.filter(person__in=members, scheme_year=scheme_year)}
    exempt = set(EnrollmentExemption.objects.filter(person__in=members, scheme_year=scheme_year)
                 .values_list("person_id", flat=True))
    for pid, (reason, note) in exemptions.items():
        check_exemption(by_id[pid].name, reason, note)
        if pid in enrolled and enrolled[pid].status == EnrollmentStatus.ENROLLED:
            raise ValidationFailed("invalid", f"{by_id[pid].name}已参合 {scheme_year} 年度，不能同时登记未参合原因",
                                   field="exemptions")
    chosen = set(by_id) if person_ids is None else set(person_ids)
    strangers = [pid for pid in chosen if pid not in by_id]
    if strangers:
        raise ValidationFailed("invalid", f"人员编号 {', '.join(map(str, strangers))} 不是本户在册成员",
                               field="person_ids")
    both = [by_id[pid].name for pid in chosen & set(exemptions)] if person_ids is not None else []
    if both:
        raise ValidationFailed("invalid", f"{'、'.join(both)}不能既参合又登记未参合原因", field="exemptions")
    is_enrolled = {pid for pid, e in enrolled.items() if e.status == EnrollmentStatus.ENROLLED}
    refuse_missing(household, [m for m in members if m.pk not in chosen | set(exemptions) | exempt | is_enrolled])
    to_enroll = [m for m in members if m.pk in chosen and m.pk not in exemptions and m.pk not in exempt
                 and m.pk not in is_enrolled]
    new_exempt = [m for m in members if m.pk in exemptions and m.pk not in exempt]
    if not to_enroll and not new_exempt:
        raise Conflict("already_enrolled", f"户 {household.number} 的全部成员已办理 {scheme_year} 年度参合或已登记未参合原因")
    if not to_enroll and not any(e.status == EnrollmentStatus.ENROLLED for e in enrolled.values()):
        raise ValidationFailed("invalid", "本户没有需要参合的成员：以户为单位参合，至少一人参合", field="exemptions")
    cancelled = [m for m in to_enroll if m.pk in enrolled]
    # a cancelled row enrolled again moves to this household (and its region); it counted nowhere while cancelled.
    # Only rows still cancelled are updated, so of two enrollments racing the second adds nothing for them.
    again = Enrollment.objects.filter(pk__in=[enrolled[m.pk].pk for m in cancelled],
                                      status=EnrollmentStatus.CANCELLED).update(
        status=EnrollmentStatus.ENROLLED, household=household, enrolled_at=timezone.now())
    new = Enrollment.objects.bulk_create([Enrollment(person=m, household=household, scheme_year=scheme_year)
                                          for m in to_enroll if m.pk not in enrolled])
    enrolled_counts.adjust({(scheme_year, household.region_id): again + len(new)})
    EnrollmentExemption.objects.bulk_create([
        EnrollmentExemption(person=m, household=household, scheme_year=scheme_year,
                            reason=exemptions[m.pk][0], note=(exemptions[m.pk][1] or "").strip())
        for m in new_exempt
    ])
    audit_record(actor=actor, action="household.enroll", obj=household, region_code=household.region.code,
                 authority=authority, after={
                     "scheme_year": scheme_year,
                     "enrolled": [m.id_number for m in to_enroll],
                     "exempted": {m.id_number: list(exemptions[m.pk]) for m in new_exempt},
                 })
    return EnrollResult(to_enroll, new_exempt)


def missing_members(household: Household, scheme_year: int) -> list[Person]:
    """Active members with neither an enrollment nor a recorded reason this year (a defect to correct)."""
    return list(household.members.filter(status=PersonStatus.ACTIVE)
                .exclude(enrollments__scheme_year=scheme_year, enrollments__status=EnrollmentStatus.ENROLLED)
                .exclude(exemptions__scheme_year=scheme_year).order_by("id"))


def refuse_missing(household: Household, missing: list[Person]) -> None:
    if missing:
        names = "、".join(_member_label(p) for p in missing)
        raise ValidationFailed("whole_household", f"以户为单位参合：户 {household.number} 的成员 {names} 既未参合也"
                               "没有登记未参合原因（如已参加职工医保、现役军人、在外地就学已参保），请一并参合或登记原因",
                               field="exemptions", details=[{"id_number": mask_id(p.id_number), "name": p.name}
                                                            for p in missing])


@transaction.atomic
def enrollment_cancel(*, actor: User, household: Household, scheme_year: int, reason: str,
                      authority: str = "") -> int:
    """Cancel the household's enrollment for the year (a mistaken registration). Rows are kept, marked
    cancelled; returns how many."""
    require_household_edit(actor, household)
    if not reason.strip():
        raise ValidationFailed("required", "撤销参合必须填写原因", field="reason")
    rows = Enrollment.objects.filter(household=household, scheme_year=scheme_year, status=EnrollmentStatus.ENROLLED)
    ids = list(rows.values_list("person__id_number", flat=True))
    if not ids:
        raise ValidationFailed("invalid", f"户 {household.number} 没有 {scheme_year} 年度的有效参合记录",
                               field="scheme_year")
    cancelled = rows.update(status=EnrollmentStatus.CANCELLED)
    enrolled_counts.adjust({(scheme_year, household.region_id): -cancelled})
    audit_record(actor=actor, action="household.enrollment_cancel", obj=household, region_code=household.region.code,
                 reason=reason, authority=authority, before={"scheme_year": scheme_year, "enrolled": ids},
                 after={"scheme_year": scheme_year, "enrolled": []})
    return len(ids)


# --- certificates ----------------------------------------------------------------------------------

def certificate_numbers(county_code: str, count: int) -> list[str]:
    """6-digit county code + 8-digit sequence, never reused and independent of the year."""
    first = sequence_take(f"certificate:{county_code}", count)
    return [f"{county_code}{n:0{CERTIFICATE_SEQ_DIGITS}d}" for n in range(first, first + count)]


def _valid_certificate(household: Household) -> Certificate | None:
    return household.certificates.filter(status=CertificateStatus.VALID).first()


@transaction.atomic
def certificate_issue(*, actor: User, household: Household, authority: str = "") -> Certificate:
    require_household_edit(actor, household)
    current = _valid_certificate(household)
    if current is not None:
        raise Conflict("certificate_exists", f"户 {household.number} 已有有效合作医疗证 {current.number}；"
                       "遗失或损坏请办理补发")
    if not household.enrollments.filter(status=EnrollmentStatus.ENROLLED).exists():
        raise ValidationFailed("not_enrolled", f"户 {household.number} 尚未参合，参合后才能发证", field="household")
    cert = Certificate.objects.create(household=household, number=certificate_numbers(household.region.code[:6], 1)[0])
    audit_record(actor=actor, action="certificate.issue", obj=cert, region_code=household.region.code,
                 authority=authority, after={"household": household.number, "number": cert.number})
    return cert


@transaction.atomic
def certificate_reissue(*, actor: User, household: Household, reason: str, authority: str = "") -> Certificate:
    """Void the current certificate (lost, damaged) and issue a new number that records what it replaces."""
    require_household_edit(actor, household)
    if not reason.strip():
        raise ValidationFailed("required", "补发合作医疗证必须填写原因（如遗失、损坏）", field="reason")
    old = Certificate.objects.select_for_update().filter(household=household, status=CertificateStatus.VALID).first()
    if old is None:
        raise ValidationFailed("invalid", f"户 {household.number} 没有有效的合作医疗证，请先发证", field="household")
    old.status, old.voided_at, old.void_reason = CertificateStatus.VOID, timezone.now(), reason.strip()
    old.save(update_fields=["status", "voided_at", "void_reason"])
    cert = Certificate.objects.create(household=household, replaces=old,
                                      number=certificate_numbers(household.region.code[:6], 1)[0])
    audit_record(actor=actor, action="certificate.reissue", obj=cert, region_code=household.region.code,
                 reason=reason, authority=authority, before={"number": old.number, "status": "valid"},
                 after={"number": cert.number, "voided": old.number})
    return cert

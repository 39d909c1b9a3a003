"""转诊备案: referrals recorded by the township office (its own residents) or the county office (anyone),
and the one rule that decides whether a referral counts for an admission — used by the hospital desk
(desk_admission.py, desk.py) and by manual reimbursement (manual.py) alike (domain.md §6, §13; docs/guide/township-clerk.md).

Recording (each refusal names its field):
- who: Cap.REFERRAL_RECORD — a township clerk for people whose household is in their township, the county
  reviewer or director for anyone in the county;
- the person must be enrolled (参合) in the year of the approval date;
- approved_on not after today; valid_until defaults to approved_on + VALID_DAYS, is not before approved_on
  and not more than MAX_VALID_DAYS after it;
- the destination is a facility on record or, for an out-of-county hospital the county has no record of,
  its name (a name that matches a facility on record is taken as that facility);
- referral is for *higher* care: an in-county destination must be above the sending facility's level (and,
  with no sending facility named, above township level — township hospitals and village clinics need no
  referral); the sending facility, when named, is an in-county facility other than the destination.
- the number is ZZ + the approval year + a 5-digit sequence within that year (ZZ202600001).

Cancelling (作废) needs a reason and is refused while an admission or a manual claim that is not cancelled
relies on the referral; a cancelled referral stays on file and no longer counts.

The rule (referral_check): a referral counts for an admission when it is not cancelled, it is the patient's
own, it points to that facility (or its to_name matches the facility's name, for an out-of-county facility
recorded by name), it was approved no later than FILE_DAYS after the admission date (an emergency admission
is referred afterwards), and the admission date is not after valid_until."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import region_q
from nrcms.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from nrcms.facilities.models import Diagnosis, Facility, FacilityLevel
from nrcms.registry.models import EnrollmentStatus, Person
from nrcms.registry.people import sequence_take
from nrcms.registry.selectors_people import person_match

from .models import Episode, EpisodeStatus, ManualClaim, ManualClaimStatus, Referral

VALID_DAYS = 30  # a referral is valid for 30 days from its approval unless the office sets otherwise
MAX_VALID_DAYS = 90  # longer than a quarter is a keying error or a standing arrangement, not a referral
FILE_DAYS = 7  # a referral may be filed up to 7 days after admission (domain.md §13; emergencies)
LEVEL_RANK = {FacilityLevel.VILLAGE: 0, FacilityLevel.TOWNSHIP: 1, FacilityLevel.COUNTY: 2,
              FacilityLevel.PREFECTURE: 3, FacilityLevel.PROVINCE: 4}
READ_CAPS = (Cap.REFERRAL_RECORD, Cap.CLAIMS_REVIEW, Cap.AUDIT_VIEW)
AUDIT_FIELDS = ("number", "approved_on", "valid_until", "diagnosis_code", "to_name", "reason")


def _today() -> dt.date:
    return timezone.localdate()


def referral_can_view(actor: User) -> bool:
    return any(actor.can(c) for c in READ_CAPS)


def _scope(actor: User) -> Q:
    if not referral_can_view(actor):
        raise Forbidden("您的角色无权查看转诊备案")
    return region_q(actor, "person__household__region__code")


def _recorder(actor: User) -> None:
    if not actor.can(Cap.REFERRAL_RECORD):
        raise Forbidden("只有乡镇合管办经办员和县合管办可以办理转诊备案")


def _name_key(name: str) -> str:
    """Names compared as typed on two different forms: full-width folded, spaces and brackets' width ignored."""
    return "".join(unicodedata.normalize("NFKC", name or "").split())


# --- reads ---------------------------------------------------------------------------------------

def referral_list(*, actor: User, q: str = "", status: str = "") -> QuerySet[Referral]:
    """Referrals of people in the actor's jurisdiction; q matches the number (prefix), the patient's name,
    pinyin initials or ID number; status: "active" (not cancelled) or "cancelled"."""
    qs = Referral.objects.filter(_scope(actor)).select_related(
        "person", "person__household", "person__household__region", "from_facility", "to_facility",
        "approved_by", "cancelled_by")
    if status == "active":
        qs = qs.filter(cancelled_at__isnull=True)
    elif status == "cancelled":
        qs = qs.filter(cancelled_at__isnull=False)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(number__istartswith=q) | Q(person__in=Person.objects.filter(person_match(q))))
    return qs.order_by("-approved_on", "-number")


def referral_get(*, actor: User, number: str) -> Referral:
    referral = referral_list(actor=actor).filter(number=(number or "").strip().upper()).first()
    if referral is None:
        raise NotFound("转诊单", number)
    return referral


def referral_person(*, actor: User, id_number: str) -> Person:
    """The patient for a new referral, by ID number, within the actor's jurisdiction."""
    _recorder(actor)
    id_number = (id_number or "").strip().upper()
    if not id_number:
        raise ValidationFailed("required", "请填写患者身份证号", field="id_number")
    person = (Person.objects.filter(region_q(actor, "household__region__code"), id_number=id_number)
              .select_related("household", "household__region").first())
    if person is None:
        raise ValidationFailed("not_found", f"身份证号 {id_number} 未在新农合登记，或不在您的管辖范围内",
                               field="id_number")
    return person


# --- the rule ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReferralProblem:
    """Why a referral on file does not count for this admission's dates (the caller decides the consequence:
    the desk refuses; manual reimbursement refuses unless the reviewer settles it as unreferred)."""

    code: str  # "referral_late" | "expired"
    message: str


def _points_to(referral: Referral, facility: Facility) -> bool:
    if referral.to_facility_id:
        return referral.to_facility_id == facility.pk
    if referral.to_name:
        return _name_key(referral.to_name) == _name_key(facility.name)
    return True  # an old paper referral with no destination on file: the number and the dates decide


def referral_check(*, number: str, person: Person, facility: Facility, admission_date: dt.date
                   ) -> tuple[Referral, ReferralProblem | None]:
    """Find the referral by number and check it against one admission. Refuses outright (ValidationFailed on
    field referral_number) what no decision can cure: an unknown number, a cancelled referral, someone else's,
    another facility's. Returns the referral and, if its dates do not cover the admission, the problem."""
    number = (number or "").strip().upper()
    referral = Referral.objects.select_related("to_facility").filter(number=number).first()
    if referral is None:
        raise ValidationFailed("not_found", f"转诊单号 {number} 不存在", field="referral_number")
    if referral.cancelled:
        raise ValidationFailed("cancelled", f"转诊单 {referral.number} 已于 {timezone.localdate(referral.cancelled_at)} "
                               f"作废（{referral.cancel_reason}）", field="referral_number")
    if referral.person_id != person.pk:
        raise ValidationFailed("invalid", f"转诊单 {referral.number} 不是{person.name}的", field="referral_number")
    if not _points_to(referral, facility):
        raise ValidationFailed("wrong_facility", f"转诊单 {referral.number} 转往{referral.destination}，"
                               f"不是{facility.name}", field="referral_number")
    limit = admission_date + dt.timedelta(days=FILE_DAYS)
    if referral.approved_on > limit:
        return referral, ReferralProblem(
            "referral_late", f"转诊备案 {referral.approved_on} 晚于入院（{admission_date}）后 {FILE_DAYS} 天"
                             f"（最迟 {limit}）")
    if admission_date > referral.valid_until:
        return referral, ReferralProblem(
            "expired", f"转诊单 {referral.number} 有效期至 {referral.valid_until}，入院 {admission_date} 时已过期")
    return referral, None


# --- writes --------------------------------------------------------------------------------------

def _destination(to_facility: Facility | None, to_name: str) -> tuple[Facility | None, str]:
    to_name = (to_name or "").strip()
    if to_facility is not None and to_name and _name_key(to_name) != _name_key(to_facility.name):
        raise ValidationFailed("invalid", f"转入机构“{to_facility.name}”与转入机构名称“{to_name}”不一致，只填一项",
                               field="to_name")
    if to_facility is None and to_name:
        key = _name_key(to_name)
        to_facility = next((f for f in Facility.objects.all() if _name_key(f.name) == key), None)
    if to_facility is None and not to_name:
        raise ValidationFailed("required", "请选择转入机构，或填写县外转入机构名称", field="to_facility")
    return to_facility, "" if to_facility is not None else to_name[:100]


def _levels(from_facility: Facility | None, to_facility: Facility | None) -> None:
    if from_facility is not None:
        if not from_facility.in_county:
            raise ValidationFailed("invalid", f"转出机构应为县内医疗机构，{from_facility.name}在县外",
                                   field="from_facility")
        if to_facility is not None and to_facility.pk == from_facility.pk:
            raise ValidationFailed("invalid", "转出机构与转入机构相同", field="to_facility")
    if to_facility is None or not to_facility.in_county:
        return  # out of the county: any level
    floor = LEVEL_RANK[from_facility.level] if from_facility is not None else LEVEL_RANK[FacilityLevel.TOWNSHIP]
    if LEVEL_RANK[to_facility.level] <= floor:
        why = (f"{from_facility.name}（{from_facility.get_level_display()}）" if from_facility is not None
               else "乡镇卫生院")
        raise ValidationFailed("not_higher", f"转诊只向上级转：{to_facility.name}（{to_facility.get_level_display()}）"
                               f"不高于{why}，县内同级或下级就医无需转诊", field="to_facility")


@transaction.atomic
def referral_record(*, actor: User, person: Person, from_facility: Facility | None = None,
                    to_facility: Facility | None = None, to_name: str = "", diagnosis_code: str,
                    approved_on: dt.date, valid_until: dt.date | None = None, reason: str = "") -> Referral:
    """转诊备案: record an approved referral and give it its number."""
    _recorder(actor)
    if not Person.objects.filter(region_q(actor, "household__region__code"), pk=person.pk).exists():
        raise Forbidden("该人员不在您的管辖范围内，"
                        "请由其户籍所在乡镇或县合管办备案")
    if approved_on > _today():
        raise ValidationFailed("invalid", f"批准日期 {approved_on} 晚于今天", field="approved_on")
    if not person.enrollments.filter(scheme_year=approved_on.year, status=EnrollmentStatus.ENROLLED).exists():
        raise ValidationFailed("not_enrolled", f"{person.name}未参加 {approved_on.year} 年度新农合，不能办理转诊备案",
                               field="id_number")
    if valid_until is None:
        valid_until = approved_on + dt.timedelta(days=VALID_DAYS)
    if valid_until < approved_on:
        raise ValidationFailed("invalid", f"有效期至 {valid_until} 早于批准日期 {approved_on}", field="valid_until")
    if (valid_until - approved_on).days > MAX_VALID_DAYS:
        raise ValidationFailed("invalid", f"有效期最长 {MAX_VALID_DAYS} 天：{approved_on} 起最迟至 "
                               f"{approved_on + dt.timedelta(days=MAX_VALID_DAYS)}", field="valid_until")
    diagnosis_code = (diagnosis_code or "").strip().upper()
    if not diagnosis_code:
        raise ValidationFailed("required", "请填写诊断编码（ICD-10）", field="diagnosis_code")
    if not Diagnosis.objects.filter(code=diagnosis_code).exists():
        raise ValidationFailed("not_found", f"诊断编码 {diagnosis_code} 不在 ICD-10 诊断编码库中", field="diagnosis_code")
    to_facility, to_name = _destination(to_facility, to_name)
    _levels(from_facility, to_facility)
    year = approved_on.year
    number = f"ZZ{year}{sequence_take(f'referral:{year}'):05d}"
    referral = Referral.objects.create(
        number=number, person=person, from_facility=from_facility, to_facility=to_facility, to_name=to_name,
        diagnosis_code=diagnosis_code, approved_on=approved_on, valid_until=valid_until, approved_by=actor,
        reason=(reason or "").strip()[:200])
    audit_record(actor=actor, action="referral.record", obj=referral, region_code=person.household.region.code,
                 facility_code=to_facility.code if to_facility else "",
                 after={**{f: getattr(referral, f) for f in AUDIT_FIELDS}, "person": person.id_number,
                        "from_facility": from_facility.code if from_facility else "",
                        "to_facility": to_facility.code if to_facility else ""})
    return referral


@transaction.atomic
def referral_cancel(*, actor: User, referral: Referral, reason: str) -> Referral:
    """作废 with a reason; refused while an admission or a manual claim relies on the referral."""
    _recorder(actor)
    referral = Referral.objects.select_for_update().filter(_scope(actor), pk=referral.pk).first()
    if referral is None:
        raise NotFound("转诊单", "")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("required", "作废转诊单必须填写原因", field="reason")
    if referral.cancelled:
        raise Conflict("already_cancelled", f"转诊单 {referral.number} 已于 "
                       f"{timezone.localdate(referral.cancelled_at)} 作废", field="referral")
    episode = Episode.objects.filter(referral=referral).exclude(status=EpisodeStatus.CANCELLED).first()
    claim = (ManualClaim.objects.filter(referral=referral)
             .exclude(status__in=(ManualClaimStatus.REJECTED, ManualClaimStatus.REVERSED)).first())
    if episode is not None or claim is not None:
        used = (f"{episode.facility.name} {episode.admission_date} 入院（流水号 {episode.serial}）" if episode
                else f"手工报销单 {claim.number}")
        raise Conflict("in_use", f"转诊单 {referral.number} 已用于{used}，不能作废；须先撤销该就诊或报销",
                       field="referral")
    referral.cancelled_at, referral.cancelled_by, referral.cancel_reason = timezone.now(), actor, reason[:300]
    referral.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason"])
    audit_record(actor=actor, action="referral.cancel", obj=referral, reason=reason,
                 region_code=referral.person.household.region.code, before={"cancelled": False},
                 after={"cancelled": True})
    return referral

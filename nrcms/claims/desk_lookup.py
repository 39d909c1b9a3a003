"""The hospital desk's member lookup: by certificate number or ID number, exact match only. A desk may find
any enrollee of the county this way, so every lookup is rate-limited (NRCMS_DESK_LOOKUP_PER_MINUTE per API
token, or per signed-in user on the page; the limit lives in the database and holds across workers) and
logged: the ID number searched (masked) with the count found, and the member card shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.rate_limit import RateLimited, rate_take
from nrcms.core.errors import NotFound, NrcmsError, ValidationFailed
from nrcms.core.masking import mask_id
from nrcms.registry import reads
from nrcms.registry.models import (
    Certificate,
    CertificateStatus,
    Enrollment,
    EnrollmentStatus,
    Person,
    PersonStatus,
)

from .desk_rules import desk_facility

LOOKUP_SCOPE = "desk.lookup"
TOO_OFTEN = "查询过于频繁，请稍后再试"


@dataclass(frozen=True)
class MemberCard:
    person: Person
    certificate: Certificate | None
    enrollment: Enrollment | None
    scheme_year: int
    on: dt.date | None = None  # the day looked up for: the categories shown are those held that day

    @property
    def enrolled(self) -> bool:
        return self.enrollment is not None

    @property
    def categories(self) -> list[str]:
        """Identity categories held on the day looked up (one ended before it is not shown)."""
        if self.on is None:
            return []
        return list(self.person.categories.held_on(self.on).order_by("category").values_list("category", flat=True))

    @property
    def categories_label(self) -> str:
        from .voucher import label_of

        return label_of(self.categories)

    @property
    def family_account_balance(self) -> Decimal:
        """The household's family account (家庭账户) as the fund ledger holds it now."""
        from nrcms.funding.ledger import family_account_balance

        return family_account_balance(self.person.household)


def certificate_members(certificate: Certificate) -> list[dict]:
    """The active members on a certificate, for the desk to choose the patient from: name, record id and the ID
    number masked (the desk typed the certificate number, not theirs)."""
    return [{"name": m.name, "person_id": m.pk, "id_number": mask_id(m.id_number)}
            for m in certificate.household.members.filter(status=PersonStatus.ACTIVE).order_by("id")]


def member_lookup(*, actor: User, on: dt.date, certificate_number: str = "", id_number: str = "",
                  person_id: int | None = None) -> MemberCard:
    """Exact match only — a desk may find any enrollee by certificate or ID number, but cannot browse. With a
    certificate, the patient may be chosen by ID number or by record id (`person_id`, from the member list)."""
    desk_facility(actor)
    certificate = None
    person = None
    if certificate_number:
        certificate = (Certificate.objects.select_related("household")
                       .filter(number=certificate_number.strip()).first())
        if certificate is None:
            raise NotFound("合作医疗证", certificate_number)
        if certificate.status != CertificateStatus.VALID:
            raise ValidationFailed("void_certificate", f"合作医疗证 {certificate.number} 已作废，请使用补发的新证",
                                   field="certificate_number")
        if id_number:
            person = certificate.household.members.filter(id_number=id_number.strip().upper()).first()
            if person is None:
                raise ValidationFailed("not_member", f"身份证号 {id_number} 不是合作医疗证 {certificate.number} 上的家庭成员",
                                       field="id_number")
        elif person_id is not None:
            person = certificate.household.members.filter(pk=person_id).first()
            if person is None:
                raise ValidationFailed("not_member", f"所选人员不是合作医疗证 {certificate.number} 上的家庭成员",
                                       field="member")
    elif id_number:
        person = Person.objects.select_related("household__region").filter(id_number=id_number.strip().upper()).first()
        if person is None:
            raise NotFound("参合人员", id_number)
        certificate = person.household.certificates.filter(status=CertificateStatus.VALID).first()
    else:
        raise ValidationFailed("required", "请输入合作医疗证号或身份证号", field="certificate_number")
    if person is None:
        members = certificate_members(certificate)
        if len(members) != 1:
            raise ValidationFailed("choose_member", f"合作医疗证 {certificate.number} 有 {len(members)} 名家庭成员，"
                                   "请选择患者或输入身份证号", field="id_number", details=members)
        person = certificate.household.members.get(pk=members[0]["person_id"])
    enrollment = person.enrollments.filter(scheme_year=on.year, status=EnrollmentStatus.ENROLLED).first()
    return MemberCard(person, certificate, enrollment, on.year, on)


def lookup_client_key(request) -> str:
    """Whom the limit counts: the API token the request came with, else the signed-in user."""
    token = getattr(request, "api_token_key", "")
    return f"token:{token}" if token else f"user:{request.user.pk}"


def _charge(*, actor: User, key: str, ip: str | None) -> None:
    """Count this lookup; refuse beyond the limit (the window's first refusal audited, once)."""
    limit = settings.NRCMS_DESK_LOOKUP_PER_MINUTE
    with transaction.atomic():
        decision = rate_take(scope=LOOKUP_SCOPE, key=key, limit=limit)
        if decision.first_refusal:
            audit_record(actor=actor, action="desk.lookup_limited", object_type="accounts.ratecounter",
                         object_id=key, object_repr="接口令牌" if key.startswith("token:") else "页面查询",
                         after={"limit": limit, "window_start": decision.window_start, "client": key}, ip=ip,
                         reason=f"医院窗口查询参合人员超过每分钟 {limit} 次，本分钟内其余查询均被拒绝",
                         facility_code=actor.facility.code if actor.facility_id else "")
    if not decision.allowed:
        raise RateLimited(f"{TOO_OFTEN}（每分钟最多查询 {limit} 次，约 {decision.retry_after} 秒后可再查询）",
                          retry_after=decision.retry_after)


def member_lookup_at_desk(*, actor: User, key: str, on: dt.date, certificate_number: str = "",
                          id_number: str = "", person_id: int | None = None, via: str,
                          ip: str | None = None) -> MemberCard:
    """The desk's lookup as pages and the API make it: charged to the client's limit, then logged (the ID
    number searched with the count found and the person shown, or the card shown for a certificate number):
    one audit row per lookup."""
    desk_facility(actor)
    _charge(actor=actor, key=key, ip=ip)
    try:
        card = member_lookup(actor=actor, on=on, certificate_number=certificate_number, id_number=id_number,
                             person_id=person_id)
    except NrcmsError as exc:
        if id_number.strip() and exc.code in ("not_found", "not_member"):
            reads.id_search_record(actor=actor, search=id_number, count=0, via=via, ip=ip)
        raise
    if id_number.strip():
        reads.id_search_record(actor=actor, search=id_number, count=1, via=via, ip=ip, person=card.person)
    else:
        reads.person_view_record(actor=actor, person=card.person, via=via, ip=ip)
    return card

"""Revealing one person's full ID and phone numbers (个人信息保护法). Everywhere else they are masked
(nrcms/core/masking.py). Only a role holding Cap.PERSONAL_DATA_REVEAL may ask — the county reviewer for anyone in
the county, a township clerk for the residents of the township — one person at a time, with a reason; every
reveal is an audit row `person.reveal` naming who, whom, when and why (the full numbers are not copied into it).

The hospital desk does not reveal: it sees the number it typed at the lookup and nothing more."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.core.errors import Forbidden, ValidationFailed

from .models import Person
from .selectors_people import person_get

REASON_MIN, REASON_MAX = 2, 200
REVEALED = "身份证号、本人电话、户联系电话"


@dataclass(frozen=True)
class Revealed:
    person_id: int
    name: str
    id_number: str
    phone: str
    household_phone: str


def check_reveal_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if len(text) < REASON_MIN:
        raise ValidationFailed("required", f"查看完整号码须填写原因（至少 {REASON_MIN} 个字），如“核对缴费人身份”",
                               field="reason")
    if len(text) > REASON_MAX:
        raise ValidationFailed("too_long", f"原因最长 {REASON_MAX} 个字", field="reason")
    if "\x00" in text:
        raise ValidationFailed("invalid", "原因含有不可见的控制字符", field="reason")
    return text


@transaction.atomic
def person_reveal(*, actor: User, person_pk: int, reason: str) -> Revealed:
    """The full ID and phone numbers of one person in the actor's jurisdiction; audited with the reason."""
    if not actor.can(Cap.PERSONAL_DATA_REVEAL):
        raise Forbidden("您的角色无权查看完整身份证号和电话号码（只显示脱敏号码）", code="forbidden")
    text = check_reveal_reason(reason)
    person: Person = person_get(actor=actor, pk=person_pk)  # NotFound outside the actor's jurisdiction
    household = person.household
    audit_record(actor=actor, action="person.reveal", obj=person, reason=text, region_code=household.region.code,
                 after={"revealed": REVEALED})
    return Revealed(person_id=person.pk, name=person.name, id_number=person.id_number, phone=person.phone,
                    household_phone=household.phone)

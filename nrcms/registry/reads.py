"""Reads of personal data, on the record: who opened whose household or person record, and who searched by
ID number (what was searched, masked, and how many were found). One audit row per read, written in its own
short transaction after the read succeeded; nothing is logged for a refused or missing record (the refusal
itself is the answer) and nothing more than the row is written, so a read stays cheap.

`via` says where the read came from, in the auditor's words (户详情页, 接口, 医院窗口 …)."""

from __future__ import annotations

from django.db import transaction

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.core.masking import mask_id

from .models import Household, Person
from .selectors_people import ID_LIKE

VIA_HOUSEHOLD_PAGE = "户详情页"
VIA_PERSON_PAGE = "人员详情页"
VIA_REGISTRY_SEARCH = "登记查询页"
VIA_API = "接口"
VIA_DESK = "医院窗口查询页"
VIA_DESK_API = "医院结算接口"
VIA_DESK_LIST = "医院窗口就诊列表"


def _actor_scope(actor: User) -> dict:
    return {"region_code": actor.region.code if actor.region_id else "",
            "facility_code": actor.facility.code if actor.facility_id else ""}


def looks_like_id_number(search: str) -> bool:
    """A search the registry treats as (the start of) an ID number: these are logged."""
    return bool(ID_LIKE.match((search or "").strip()))


@transaction.atomic
def person_view_record(*, actor: User, person: Person, via: str, ip: str | None = None) -> None:
    """One person's record was shown (the person page, the desk's member card, the API's person detail)."""
    audit_record(actor=actor, action="person.view", obj=person, after={"via": via}, ip=ip,
                 region_code=person.household.region.code if person.household_id else "",
                 facility_code=actor.facility.code if actor.facility_id else "")


@transaction.atomic
def household_view_record(*, actor: User, household: Household, via: str, ip: str | None = None) -> None:
    """One household with its members was shown (the household page, the API's household detail)."""
    audit_record(actor=actor, action="household.view", obj=household, object_repr=household.number,
                 after={"via": via}, ip=ip, region_code=household.region.code,
                 facility_code=actor.facility.code if actor.facility_id else "")


@transaction.atomic
def id_search_record(*, actor: User, search: str, count: int, via: str, ip: str | None = None,
                     person: Person | None = None) -> None:
    """A search by ID number: the number masked as on paper (division code and last four kept), the count
    found, and the person whose record the search opened (an exact lookup that found one)."""
    masked = mask_id(search.strip().upper())
    audit_record(actor=actor, action="person.search_id", object_type="registry.person",
                 object_id=str(person.pk) if person is not None else "", object_repr=masked,
                 after={"id_number": masked, "found": count, "via": via}, ip=ip, **_actor_scope(actor))


def id_search_record_if_id(*, actor: User, search: str, count: int, via: str, ip: str | None = None) -> None:
    """Record the search when it is by ID number; a search by name or household number is not logged."""
    if looks_like_id_number(search):
        id_search_record(actor=actor, search=search, count=count, via=via, ip=ip)

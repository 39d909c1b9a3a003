"""Reads of households and people, each limited to the actor's jurisdiction (a hospital desk sees none)."""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import region_q
from nrcms.core.errors import NotFound

from .models import (
    Certificate,
    CertificateStatus,
    Enrollment,
    EnrollmentStatus,
    Household,
    ImportJob,
    Person,
    PersonCategory,
    PersonStatus,
    Region,
    Relation,
)

ID_LIKE = re.compile(r"^\d{6,17}[\dXx]?$")
INITIALS = re.compile(r"^[A-Za-z]{2,10}$")


def _visible(actor: User) -> Q:
    if not actor.can(Cap.REGISTRY_VIEW):
        return Q(pk__in=[])
    return region_q(actor, "region__code")


def region_prefix(code: str) -> str:
    region = Region.objects.filter(code=code).first()
    return region.prefix if region else code


def household_list(*, actor: User, search: str = "", region_code: str = "", scheme_year: int | None = None,
                   include_inactive: bool = False) -> QuerySet[Household]:
    """Households with their head; `search` matches a head's or member's name, pinyin initials, ID number,
    the certificate number or the household number."""
    qs = Household.objects.filter(_visible(actor)).select_related("region__parent__parent__parent")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if region_code:
        qs = qs.filter(region__code__startswith=region_prefix(region_code))
    if search:
        people = person_match(search)
        qs = qs.filter(Q(number__startswith=search) | Q(certificates__number=search)
                       | Q(pk__in=Person.objects.filter(people).values("household_id"))).distinct()
    heads = Person.objects.filter(relation=Relation.HEAD, status=PersonStatus.ACTIVE)
    qs = qs.prefetch_related(Prefetch("members", queryset=heads, to_attr="heads"),
                             Prefetch("certificates", queryset=Certificate.objects.filter(status="valid"),
                                      to_attr="valid_certificates"))
    qs = qs.annotate(member_count=Count("members", filter=Q(members__status=PersonStatus.ACTIVE), distinct=True))
    if scheme_year:
        qs = qs.annotate(enrolled_count=Count("enrollments", filter=Q(enrollments__scheme_year=scheme_year,
                                                                      enrollments__status="enrolled"),
                                              distinct=True))
    return qs.order_by("number")


def household_get(*, actor: User, pk: int) -> Household:
    household = Household.objects.filter(_visible(actor), pk=pk).select_related("region", "region__parent").first()
    if household is None:
        raise NotFound("家庭户", pk)
    return household


def household_by_number(*, actor: User, number: str) -> Household:
    household = Household.objects.filter(_visible(actor), number=number).select_related("region").first()
    if household is None:
        raise NotFound("家庭户", number)
    return household


def person_match(search: str) -> Q:
    """How one search box finds a person: ID number (prefix), pinyin initials, certificate number or name."""
    search = search.strip()
    if ID_LIKE.match(search):
        return Q(id_number__startswith=search.upper()) | Q(household__certificates__number=search)
    if INITIALS.match(search):
        return Q(name_initials__startswith=search.lower())
    return Q(name__contains=search)


def person_search(*, actor: User, search: str = "", region_code: str = "", status: str = "",
                  category: str = "") -> QuerySet[Person]:
    qs = Person.objects.filter(region_q(actor, "household__region__code") if actor.can(Cap.REGISTRY_VIEW)
                               else Q(pk__in=[]))
    if search:
        qs = qs.filter(person_match(search))
    if region_code:
        qs = qs.filter(household__region__code__startswith=region_prefix(region_code))
    if status:
        qs = qs.filter(status=status)
    if category:  # holding it today: not one that has ended or not yet begun
        held = PersonCategory.objects.held_on(timezone.localdate()).filter(category=category)
        qs = qs.filter(pk__in=held.values("person_id"))
    return qs.select_related("household", "household__region").distinct().order_by("household__number", "id")


def person_get(*, actor: User, pk: int) -> Person:
    person = person_search(actor=actor).filter(pk=pk).first()
    if person is None:
        raise NotFound("人员", pk)
    return person


def household_members(household: Household) -> list[Person]:
    return list(household.members.prefetch_related("categories", "events").order_by("id"))


def mark_categories_held(members: list[Person], on: dt.date) -> None:
    """Set each member's `held_categories`: those held on the day (from the prefetched rows, no query)."""
    for m in members:
        m.held_categories = [c for c in m.categories.all()
                             if c.valid_from <= on and (c.valid_to is None or c.valid_to >= on)]


def person_categories(person: Person) -> list[PersonCategory]:
    """A person's identity categories, oldest first, each marked `held_today` (in force today or not)."""
    today = timezone.localdate()
    rows = list(person.categories.order_by("valid_from", "id"))
    for c in rows:
        c.held_today = c.valid_from <= today and (c.valid_to is None or c.valid_to >= today)
        c.state = "现行" if c.held_today else ("未开始" if c.valid_from > today else "已终止")
    return rows


def person_category_get(*, person: Person, pk: int) -> PersonCategory:
    row = person.categories.filter(pk=pk).first()
    if row is None:
        raise NotFound("人员类别认定", pk)
    return row


def household_enrollments(household: Household) -> dict[int, dict]:
    """scheme_year → {"enrolled": [person ids], "exempt": {person id: exemption}}."""
    years: dict[int, dict] = {}
    for e in household.enrollments.filter(status=EnrollmentStatus.ENROLLED):
        years.setdefault(e.scheme_year, {"enrolled": set(), "exempt": {}})["enrolled"].add(e.person_id)
    for x in household.exemptions.all():
        years.setdefault(x.scheme_year, {"enrolled": set(), "exempt": {}})["exempt"][x.person_id] = x
    return dict(sorted(years.items(), reverse=True))


def valid_certificate(household: Household) -> Certificate | None:
    return household.certificates.filter(status=CertificateStatus.VALID).first()


def enrollment_count(*, actor: User, scheme_year: int) -> int:
    return Enrollment.objects.filter(region_q(actor, "household__region__code"), scheme_year=scheme_year,
                                     status=EnrollmentStatus.ENROLLED).count() if actor.can(Cap.REGISTRY_VIEW) else 0


def import_job_list(*, actor: User) -> QuerySet[ImportJob]:
    if not actor.can(Cap.REGISTRY_EDIT):
        return ImportJob.objects.none()
    return ImportJob.objects.filter(region_q(actor, "township__code")).select_related("township", "created_by")


def import_job_get(*, actor: User, pk: int) -> ImportJob:
    job = import_job_list(actor=actor).filter(pk=pk).first()
    if job is None:
        raise NotFound("导入任务", pk)
    return job


def enrollment_defects(*, scheme_year: int, region_prefix: str = "") -> QuerySet[Person]:
    """Active members of households enrolled this year who are neither enrolled nor exempted: the defect
    the county must correct (以户为单位参合). One query, for county-wide checks."""
    enrolled_households = Enrollment.objects.filter(scheme_year=scheme_year, status=EnrollmentStatus.ENROLLED)
    return (Person.objects.filter(status=PersonStatus.ACTIVE, household__region__code__startswith=region_prefix,
                                  household_id__in=enrolled_households.values("household_id"))
            .exclude(pk__in=enrolled_households.values("person_id"))
            .exclude(exemptions__scheme_year=scheme_year)
            .select_related("household", "household__region").order_by("household__number", "id"))

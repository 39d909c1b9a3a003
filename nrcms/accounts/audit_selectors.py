"""Reads of the audit trail, scoped by the actor's jurisdiction: by action, object, operator, date, and by
person (name or ID number): every entry about the person, the household, their episodes, settlements, manual
claims, referrals and contributions."""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q, QuerySet

from .audit_labels import model_of
from .models import AuditEntry, User
from .roles import Cap
from .selectors import jurisdiction_of

PERSON_MATCH_LIMIT = 50  # a common surname matches many: the first 50 people are followed, the page says so
NUMBER_FIELDS = ("number", "receipt_number", "serial", "code", "username", "id_number", "file_name")


def _ids(qs) -> list[str]:
    return [str(pk) for pk in qs.values_list("pk", flat=True)]


def persons_matching(*, actor: User, text: str):
    """People in the actor's jurisdiction whose name contains the text, or whose ID number is the text."""
    Person = apps.get_model("registry", "Person")
    j = jurisdiction_of(actor)
    qs = Person.objects.all()
    if j.region_prefix is None:
        return qs.none()
    if not j.is_county:
        qs = qs.filter(household__region__code__startswith=j.region_prefix)
    text = text.strip()
    if len(text) == 18 and text[:17].isdigit():
        return qs.filter(id_number=text.upper())
    return qs.filter(name__contains=text).order_by("id")


def person_q(*, actor: User, text: str) -> Q:
    persons = list(persons_matching(actor=actor, text=text)[:PERSON_MATCH_LIMIT].values_list("pk", "household_id"))
    if not persons:
        return Q(pk__in=[])
    person_ids = [p for p, _ in persons]
    household_ids = sorted({h for _, h in persons})
    get = apps.get_model
    related = {
        "registry.person": [str(p) for p in person_ids],
        "registry.household": [str(h) for h in household_ids],
        "registry.certificate": _ids(get("registry", "Certificate").objects.filter(household_id__in=household_ids)),
        "claims.episode": _ids(get("claims", "Episode").objects.filter(person_id__in=person_ids)),
        "claims.settlement": _ids(get("claims", "Settlement").objects.filter(episode__person_id__in=person_ids)),
        "claims.manualclaim": _ids(get("claims", "ManualClaim").objects.filter(episode__person_id__in=person_ids)),
        "claims.referral": _ids(get("claims", "Referral").objects.filter(person_id__in=person_ids)),
        "funding.contribution": _ids(get("funding", "Contribution").objects.filter(
            lines__person_id__in=person_ids).distinct()),
    }
    q = Q(pk__in=[])
    for object_type, ids in related.items():
        if ids:
            q |= Q(object_type=object_type, object_id__in=ids)
    return q


def object_q(*, object_type: str, ref: str) -> Q:
    """One object by its database id or its number (证号, 结算单号, 户编号 …); the keyword box searches the
    description."""
    q = Q(object_id=ref)
    model = model_of(object_type)
    if model is not None:
        for name in NUMBER_FIELDS:
            try:
                model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            ids = _ids(model._default_manager.filter(**{name: ref})[:100])
            if ids:
                q |= Q(object_id__in=ids)
    return q


def audit_list(
    *,
    actor: User,
    search: str = "",
    action: str = "",
    object_type: str = "",
    object_ref: str = "",
    person: str = "",
    username: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEntry]:
    if not actor.can(Cap.AUDIT_LOG):
        return AuditEntry.objects.none()
    j = jurisdiction_of(actor)
    qs = AuditEntry.objects.all()
    if not j.is_county:
        qs = qs.filter(region_code__startswith=j.region_prefix or "-")
    if action:
        qs = qs.filter(action=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_ref:
        qs = qs.filter(object_q(object_type=object_type, ref=object_ref))
    if person:
        qs = qs.filter(person_q(actor=actor, text=person))
    if username:
        qs = qs.filter(Q(actor_username=username) | Q(actor__display_name=username))
    if date_from:
        qs = qs.filter(at__date__gte=date_from)
    if date_to:
        qs = qs.filter(at__date__lte=date_to)
    if search:
        qs = qs.filter(
            Q(object_repr__contains=search) | Q(object_id=search) | Q(reason__contains=search)
            | Q(authority__contains=search)
        )
    return qs.order_by("-seq")

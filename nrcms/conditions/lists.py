"""The registers as lists for pages, the API and the Excel export: in the actor's jurisdiction, searchable by
name or ID number, filtered by township, disease and status."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import region_q
from nrcms.accounts.services import require
from nrcms.core.errors import NotFound, ValidationFailed

from .models import ChronicCertificate, ChronicStatus, SeriousIllness, SeriousIllnessCase, SeriousStatus


def _person_filters(qs: QuerySet, q: str, township: str) -> QuerySet:
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(person__name__contains=q) | Q(person__id_number=q.upper()))
    township = (township or "").strip()
    if township:
        if not (township.isdigit() and len(township) == 12):
            raise ValidationFailed("invalid", f"乡镇（township）应为 12 位区划代码，读到“{township[:20]}”", field="township")
        qs = qs.filter(person__household__region__code__startswith=township[:9])
    return qs


def chronic_list(*, actor: User, q: str = "", township: str = "", disease: str = "", status: str = "",
                 today: dt.date) -> QuerySet[ChronicCertificate]:
    require(actor, Cap.CONDITIONS_VIEW)
    qs = (ChronicCertificate.objects.filter(region_q(actor, "person__household__region__code"))
          .select_related("person__household__region", "facility"))
    qs = _person_filters(qs, q, township)
    if disease:
        qs = qs.filter(disease_code=disease.strip().upper())
    if status:
        if status not in ChronicStatus.values:
            raise ValidationFailed("invalid", f"状态“{status[:20]}”应为：{'、'.join(ChronicStatus.labels)} 之一",
                                   field="status")
        if status == ChronicStatus.CERTIFIED:
            qs = qs.filter(status=ChronicStatus.CERTIFIED, valid_until__gte=today)
        elif status == ChronicStatus.EXPIRED:
            qs = qs.filter(status=ChronicStatus.CERTIFIED, valid_until__lt=today)
        else:
            qs = qs.filter(status=ChronicStatus.REVOKED)
    return qs.order_by("-certified_on", "-id")


def chronic_get(*, actor: User, pk: int) -> ChronicCertificate:
    require(actor, Cap.CONDITIONS_VIEW)
    cert = (ChronicCertificate.objects.filter(region_q(actor, "person__household__region__code"), pk=pk)
            .select_related("person__household__region", "facility", "revoked_by", "recorded_by").first())
    if cert is None:
        raise NotFound("慢性病认定", pk)
    return cert


def serious_list(*, actor: User, q: str = "", township: str = "", disease: str = "", status: str = ""
                 ) -> QuerySet[SeriousIllnessCase]:
    require(actor, Cap.CONDITIONS_VIEW)
    qs = (SeriousIllnessCase.objects.filter(region_q(actor, "person__household__region__code"))
          .select_related("person__household__region", "facility"))
    qs = _person_filters(qs, q, township)
    if disease:
        if disease not in SeriousIllness.values:
            raise ValidationFailed("invalid", f"病种“{disease[:20]}”不在大病集中救治病种名单中", field="disease")
        qs = qs.filter(disease=disease)
    if status:
        if status not in SeriousStatus.values:
            raise ValidationFailed("invalid", f"状态“{status[:20]}”应为：{'、'.join(SeriousStatus.labels)} 之一",
                                   field="status")
        qs = qs.filter(status=status)
    return qs.order_by("-started_on", "-id")


def serious_get(*, actor: User, pk: int) -> SeriousIllnessCase:
    require(actor, Cap.CONDITIONS_VIEW)
    case = (SeriousIllnessCase.objects.filter(region_q(actor, "person__household__region__code"), pk=pk)
            .select_related("person__household__region", "facility", "recorded_by").first())
    if case is None:
        raise NotFound("大病集中救治记录", pk)
    return case


def person_conditions(person) -> dict:
    """One person's certificates, serious-illness records and home sickbeds (the person page, the poverty file)."""
    from .models import HomeSickbed

    return {
        "chronic_certificates": list(ChronicCertificate.objects.filter(person=person).select_related("facility")
                                     .prefetch_related("follow_ups")),
        "serious_cases": list(SeriousIllnessCase.objects.filter(person=person).select_related("facility")
                              .prefetch_related("follow_ups")),
        "sickbeds": list(HomeSickbed.objects.filter(person=person).select_related("facility", "episode")
                         .prefetch_related("visits", "episode__settlements")),
    }

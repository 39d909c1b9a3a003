"""One file per patient (一人一档一案): the poverty categories over time, every settlement (desk and manual)
with its layers, the year's totals and effective ratio (stats' definitions), follow-ups, family-doctor
contracts, the treatment plan, and the chronic certificates, serious-illness records and home sickbeds
(nrcms/conditions). Readers and the two small writes (follow-up, treatment plan)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.db.models import Q

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import region_q
from nrcms.accounts.services import require
from nrcms.claims.models import ManualClaim, Settlement
from nrcms.core.errors import NotFound, ValidationFailed
from nrcms.registry.models import POVERTY_CATEGORIES, Person, PersonCategory
from nrcms.stats.indicators import POOR_TARGET, poor_effective_ratio
from nrcms.stats.scope import Scope
from nrcms.stats.sources import INPATIENT, net

from .models import FollowUp, FollowUpKind, TreatmentPlan

# Family-doctor contracts (家庭医生签约) belong to a later feature: it appends a function person → list of
# {"date", "doctor", "team", "fee", "note"} here; with none the file shows “—”.
CONTRACT_SOURCES: list[Callable[[Person], list[dict]]] = []


def patient_get(*, actor: User, person_id: int) -> Person:
    """A person in the actor's jurisdiction who is or was in the poverty registry; else not found."""
    require(actor, Cap.POVERTY_VIEW)
    person = (Person.objects.filter(region_q(actor, "household__region__code"), pk=person_id,
                                    categories__category__in=POVERTY_CATEGORIES)
              .select_related("household__region").first())
    if person is None:
        raise NotFound("贫困人口档案", person_id)
    return person


def _settlement_rows(person: Person) -> list[dict]:
    rows = []
    for s in Settlement.objects.filter(episode__person=person).select_related("episode__facility"):
        rows.append(_row(s, s.settled_at, s.number, s.get_kind_display() if s.kind == "reversal" else "即时结报",
                         s.status_label))
    for c in ManualClaim.objects.filter(episode__person=person).select_related("episode__facility"):
        rows.append(_row(c, c.paid_at or c.recorded_at, c.number, "县外手工报销", c.get_status_display()))
    rows.sort(key=lambda r: (r["at"], r["number"]))
    return rows


def _row(obj, at, number: str, kind: str, status: str) -> dict:
    e = obj.episode
    return {"at": at, "number": number, "kind": kind, "status": status, "facility": e.facility.name,
            "in_county": e.facility.in_county, "episode_kind": e.get_kind_display(), "admission": e.admission_date,
            "discharge": e.discharge_date, "diagnosis": e.diagnosis_name or e.diagnosis_code,
            "referred": e.referral_id is not None or bool(getattr(obj, "referral_id", None)),
            "total_cost": obj.total_cost, "eligible_cost": obj.eligible_cost,
            "basic": obj.basic + obj.fixed_fee + obj.subsidy + obj.family_account, "catastrophic": obj.catastrophic,
            "assistance": obj.assistance, "safety_net": obj.safety_net, "fund_total": obj.fund_total,
            "self_pay": obj.total_cost - obj.fund_total}


def _years(person: Person, rows: list[dict]) -> list[dict]:
    """Per year of settlement: the person's net inpatient totals and effective ratio, as stats counts them."""
    out = []
    for year in sorted({r["at"].year for r in rows}):
        scope = Scope(start=dt.date(year, 1, 1), end=dt.date(year, 12, 31))
        t = net(scope, INPATIENT & Q(episode__person_id=person.pk))
        ratio = poor_effective_ratio(t)
        out.append({"year": year, "count": t.count, "total_cost": t.total_cost, "eligible_cost": t.eligible_cost,
                    "basic": t.pooled + t.family_account, "catastrophic": t.catastrophic,
                    "assistance": t.assistance, "safety_net": t.safety_net, "fund_total": t.fund_total,
                    "effective_ratio": ratio, "meets_target": None if ratio is None else ratio >= POOR_TARGET})
    return out


def patient_file(person: Person) -> dict:
    rows = _settlement_rows(person)
    contracts = [c for source in CONTRACT_SOURCES for c in source(person)]
    return {"person": person, "household": person.household, "region": person.household.region.full_name,
            "categories": PersonCategory.objects.filter(person=person).order_by("valid_from", "id"),
            "settlements": rows, "years": _years(person, rows), "target": POOR_TARGET,
            "follow_ups": list(FollowUp.objects.filter(person=person).select_related("recorded_by")),
            "plans": list(TreatmentPlan.objects.filter(person=person).select_related("recorded_by")),
            "contracts": contracts, **_conditions(person)}


def _conditions(person: Person) -> dict:
    """Chronic certificates, serious-illness records and home sickbeds (nrcms/conditions), for the includes
    conditions/_file_chronic.html, _file_serious.html and _file_sickbeds.html."""
    from django.utils import timezone

    from nrcms.conditions.lists import person_conditions

    return {**person_conditions(person), "today": timezone.localdate()}


def _text(value: str, label: str, field: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed("required", f"{label}不能为空", field=field)
    if len(value) > limit:
        raise ValidationFailed("too_long", f"{label}最多 {limit} 个字，现有 {len(value)} 个字", field=field)
    return value


def _date(value: dt.date | None, label: str) -> dt.date:
    from django.utils import timezone

    if value is None:
        raise ValidationFailed("required", f"{label}不能为空", field="date")
    if value > timezone.localdate():
        raise ValidationFailed("invalid", f"{label} {value} 晚于今天", field="date")
    return value


@transaction.atomic
def follow_up_record(*, actor: User, person: Person, date: dt.date | None, kind: str, note: str) -> FollowUp:
    require(actor, Cap.POVERTY_MANAGE)
    if kind not in FollowUpKind.values:
        raise ValidationFailed("invalid", f"随访方式“{kind[:20]}”应为：{'、'.join(FollowUpKind.labels)} 之一", field="kind")
    row = FollowUp.objects.create(person=person, date=_date(date, "随访日期"), kind=kind,
                                  note=_text(note, "随访情况", "note", 500), recorded_by=actor)
    audit_record(actor=actor, action="poverty.follow_up", obj=row, object_repr=f"{person.name} {row}",
                 after={"person": person.pk, "date": row.date, "kind": kind, "note": row.note},
                 region_code=person.household.region.code)
    return row


@transaction.atomic
def treatment_plan_record(*, actor: User, person: Person, date: dt.date | None, text: str) -> TreatmentPlan:
    require(actor, Cap.POVERTY_MANAGE)
    row = TreatmentPlan.objects.create(person=person, date=_date(date, "制定日期"),
                                       text=_text(text, "治疗方案", "text", 1000), recorded_by=actor)
    audit_record(actor=actor, action="poverty.treatment_plan", obj=row, object_repr=f"{person.name} {row}",
                 after={"person": person.pk, "date": row.date, "text": row.text},
                 region_code=person.household.region.code)
    return row

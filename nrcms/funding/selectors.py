"""Reads about contributions, scoped by the actor's jurisdiction; progress and subsidy claims computed
with grouped queries so they stay quick at a county's size; the year's contribution standard and what each person
has paid (read by the services that collect, never the other way round)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr

from nrcms.accounts.selectors import jurisdiction_of
from nrcms.core.errors import ValidationFailed
from nrcms.core.money import ZERO, round_amount
from nrcms.registry.models import Enrollment, EnrollmentStatus, Region

from . import ledger
from .models import Contribution, ContributionLine, ContributionStandard

LEVELS = ("central", "provincial", "county")


def contribution_list(*, actor, scheme_year: int | None = None, search: str = "", payer_kind: str = ""):
    j = jurisdiction_of(actor)
    qs = Contribution.objects.select_related("household", "household__region", "recorded_by")
    if j.region_prefix is None:
        return qs.none()
    if not j.is_county:
        qs = qs.filter(household__region__code__startswith=j.region_prefix)
    if scheme_year:
        qs = qs.filter(scheme_year=scheme_year)
    if payer_kind:
        qs = qs.filter(payer_kind=payer_kind)
    if search:
        qs = qs.filter(Q(receipt_number__startswith=search) | Q(household__number__startswith=search)
                       | Q(payer_name__contains=search) | Q(lines__person__name__contains=search)
                       | Q(lines__person__id_number=search)).distinct()
    return qs.order_by("-recorded_at", "-id")


def collection_progress(*, actor, scheme_year: int) -> dict:
    """Per township and village in the actor's jurisdiction: agricultural population, enrolled, paid in full,
    amount collected, enrollment rate and payment rate."""
    j = jurisdiction_of(actor)
    prefix = j.region_prefix or "-"
    try:
        personal = standard_for(scheme_year).personal_amount
    except Exception:  # noqa: BLE001 — no standard yet: progress still counts enrollment
        personal = None
    enrolled = dict(Enrollment.objects.filter(scheme_year=scheme_year, status=EnrollmentStatus.ENROLLED,
                                              household__region__code__startswith=prefix)
                    .annotate(village=Substr("household__region__code", 1, 12)).values("village")
                    .annotate(n=Count("id")).values_list("village", "n"))
    paid_rows = (ContributionLine.objects.filter(contribution__scheme_year=scheme_year,
                                                 contribution__household__region__code__startswith=prefix)
                 .values("person_id").annotate(total=Sum("amount"),
                                               village=Substr("contribution__household__region__code", 1, 12)))
    amount, paid = {}, {}
    for row in paid_rows:
        row["total"] = round_amount(row["total"])
        amount[row["village"]] = amount.get(row["village"], ZERO) + row["total"]
        if personal is not None and row["total"] >= personal:
            paid[row["village"]] = paid.get(row["village"], 0) + 1
    villages = Region.objects.filter(level="village", code__startswith=prefix).select_related("parent").order_by("code")
    townships: dict[str, dict] = {}
    rows = []
    for v in villages:
        row = _row(v.name, v.code, v.agricultural_population or 0, enrolled.get(v.code, 0), paid.get(v.code, 0),
                   amount.get(v.code, ZERO))
        row["township"] = v.parent.name
        rows.append(row)
        t = townships.setdefault(v.parent.code, {"name": v.parent.name, "code": v.parent.code, "population": 0,
                                                 "enrolled": 0, "paid": 0, "amount": ZERO})
        for key in ("population", "enrolled", "paid", "amount"):
            t[key] += row[key]
    township_rows = [_row(t["name"], t["code"], t["population"], t["enrolled"], t["paid"], t["amount"])
                     for t in townships.values()]
    total = _row("合计", "", sum(t["population"] for t in township_rows), sum(t["enrolled"] for t in township_rows),
                 sum(t["paid"] for t in township_rows), sum((t["amount"] for t in township_rows), ZERO))
    return {"scheme_year": scheme_year, "personal": personal, "villages": rows, "townships": township_rows,
            "total": total}


def _rate(part: int, whole: int) -> Decimal:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1")) if whole else Decimal("0.0")


def _row(name, code, population, enrolled, paid, amount) -> dict:
    return {"name": name, "code": code, "population": population, "enrolled": enrolled, "paid": paid,
            "amount": amount, "enrollment_rate": _rate(enrolled, population), "payment_rate": _rate(paid, enrolled)}


def subsidy_claim(*, scheme_year: int) -> dict:
    """Per-person subsidies × enrolled persons, by township and level of government, ready to report upward."""
    standard = standard_for(scheme_year)
    per = {"central": standard.central_subsidy, "provincial": standard.provincial_subsidy,
           "county": standard.county_subsidy}
    counts = (Enrollment.objects.filter(scheme_year=scheme_year, status=EnrollmentStatus.ENROLLED)
              .annotate(township=Substr("household__region__code", 1, 9)).values("township")
              .annotate(n=Count("id")).order_by("township"))
    names = {r.code[:9]: r.name for r in Region.objects.filter(level="township")}
    rows, enrolled = [], 0
    for c in counts:
        enrolled += c["n"]
        rows.append({"township": names.get(c["township"], c["township"]), "code": c["township"], "enrolled": c["n"],
                     **{level: per[level] * c["n"] for level in LEVELS}})
    totals = {level: per[level] * enrolled for level in LEVELS}
    return {"scheme_year": scheme_year, "standard": standard, "per_person": per, "rows": rows, "enrolled": enrolled,
            "totals": totals, "total": sum(totals.values(), ZERO)}


def standard_for(scheme_year: int, on: dt.date | None = None) -> ContributionStandard:
    qs = ContributionStandard.objects.filter(scheme_year=scheme_year)
    if on is not None:
        qs = qs.filter(effective_from__lte=on)
    row = qs.order_by("-effective_from").first()
    if row is None:
        raise ValidationFailed("no_standard", f"{scheme_year} 年度尚未设定筹资标准", field="scheme_year")
    return row


PAID_LOOKUP_MAX_IDS = 2000


def paid_by_person(scheme_year: int, person_ids) -> dict[int, Decimal]:
    """What each person has paid for the year. For a long list (the books check: every enrolled person) the year's
    totals are read for everyone and picked in Python: SQLite plans a grouped query with an IN list of tens of
    thousands of ids very slowly (48 s for 21,000 ids)."""
    ids = list(person_ids)
    rows = ContributionLine.objects.filter(contribution__scheme_year=scheme_year)
    if len(ids) <= PAID_LOOKUP_MAX_IDS:
        rows = rows.filter(person_id__in=ids)
    totals = {r["person_id"]: ledger.fen_sum(r["total"]) for r in rows.values("person_id").annotate(total=Sum("amount"))}
    if len(ids) <= PAID_LOOKUP_MAX_IDS:
        return totals
    wanted = set(ids)
    return {pid: total for pid, total in totals.items() if pid in wanted}

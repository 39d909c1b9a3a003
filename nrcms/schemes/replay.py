"""Replaying last year's settlements under a scheme version (方案测算的取数): which settlements, in which order,
from which starting totals — for both engines, the scalar replay here (the reference) and the vectorised one
(nrcms.simulation.scheme_summary), which give the same totals to the fen."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields, replace
from decimal import Decimal

from django.db.models import Max, Q

from nrcms.policy import ChargeItem, Episode, PersonCategories, YearToDate, settle

from .models import SchemeVersion
from .selectors import parsed

REPLAY_LIMIT = 50_000  # claims replayed by the scalar engine; more is the vectorised simulation's work


def _episode_from(inputs: dict) -> tuple[Episode, PersonCategories]:
    e = dict(inputs["episode"])
    for key in ("admission_date", "discharge_date"):
        e[key] = dt.date.fromisoformat(e[key]) if e.get(key) else None
    e["stay_eligible_before"] = Decimal(str(e.get("stay_eligible_before") or "0"))
    known = {f.name for f in fields(Episode)}
    charges = []
    for c in inputs["charges"]:
        c = dict(c)
        for key in ("amount", "first_self_pay_share", "quantity"):
            c[key] = Decimal(str(c[key]))
        c["price_limit"] = None if c.get("price_limit") in (None, "") else Decimal(str(c["price_limit"]))
        charges.append(ChargeItem(**c))
    episode = Episode(charges=tuple(charges), **{k: v for k, v in e.items() if k in known and k != "charges"})
    return episode, PersonCategories(frozenset(inputs.get("categories") or ()))


def replay_selection(version: SchemeVersion, *, limit: int | None = REPLAY_LIMIT):
    """What a simulation of `version` replays, for both engines: (year, the new scheme's version in force from
    the effective date, rows). The rows are last year's active settlements in the county (or the latest year
    with any, when last year has none) as (person_id, stored engine inputs, fund_total actually paid), person by
    person in admission order."""
    from nrcms.claims.models import Settlement, SettlementKind, SettlementStatus

    county = Q(episode__household__region__code__startswith=version.region.code[:6])
    done = Settlement.objects.filter(county, kind=SettlementKind.SETTLEMENT, status=SettlementStatus.ACTIVE)
    year = version.year - 1
    if not done.filter(episode__scheme_year=year).exists():
        year = done.filter(episode__scheme_year__lte=version.year).aggregate(y=Max("episode__scheme_year"))["y"]
    new_file = parsed(version)
    scheme = new_file.select(version.effective_from) or new_file.versions[-1]
    rows = (done.filter(episode__scheme_year=year)
            .order_by("episode__person_id", "episode__admission_date", "id")
            .values_list("episode__person_id", "inputs", "fund_total")) if year else []
    if year and limit is not None:
        rows = rows[:limit]
    return year, scheme, [(p, i, f) for p, i, f in rows if i and "episode" in i]


def replay_episode(inputs: dict) -> tuple[Episode, PersonCategories, Decimal]:
    """One stored settlement's engine input: the episode, the person's categories and the family account's
    balance it saw (the start of the person's replay)."""
    episode, categories = _episode_from(inputs)
    balance = Decimal(str((inputs.get("year_to_date") or {}).get("family_account_balance") or "0"))
    return episode, categories, balance


def replay_summary(version: SchemeVersion) -> dict:
    """The scalar simulation: last year's settlements in the county, replayed person by person through the new
    scheme, against what they were actually paid. Each person's year-to-date totals start from zero and the
    family account from the balance the person's first settlement saw, then chain from one episode to the next
    (the vectorised engine, nrcms.simulation.scheme_version_summary, does the same, to the fen)."""
    year, scheme, rows = replay_selection(version)
    old_total = new_total = Decimal("0.00")
    count = changed = refused = 0
    ytd_by_person: dict[int, YearToDate] = {}
    for person_id, inputs, fund in rows:
        episode, categories, balance = replay_episode(inputs)
        ytd = ytd_by_person.get(person_id) or YearToDate(family_account_balance=balance)
        ytd = replace(ytd, year=None)  # chained totals: the replay's own year, as the vectorised engine
        result = settle(episode, scheme, ytd, person=categories)
        ytd_by_person[person_id] = result.ytd_after
        count += 1
        old_total += fund
        new_total += result.fund_total
        changed += result.fund_total != fund
        refused += bool(result.refused)
    return {"engine": "scalar", "year": year, "claims": count, "old_total": format(old_total, "f"),
            "new_total": format(new_total, "f"), "difference": format(new_total - old_total, "f"),
            "changed": changed, "refused": refused, "scheme_version": scheme.version,
            "truncated": count >= REPLAY_LIMIT}

"""A year of episodes from the database, in the column format: every active settlement of the year, rebuilt
from the engine inputs it stored (so the replay settles exactly what the desk settled), one row each.

Each person's replay starts from the year-to-date totals the person's first settlement of the year saw
(zero for most; the family account's balance rolls over from year to year) and then adds up on its own, in
the order of the settlement dates. Replayed under the scheme version that settled them, the rows reproduce
every stored amount to the fen (tests/simulation/test_extract.py) provided that (1) nothing else moved a
person's totals between two of their settlements — a manual claim (手工报销) paid in between is not in the
extract — and (2) each person's settlements were made in date order. The family account is a household's;
the replay keeps it per person (a documented simplification)."""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.db.models import Max

from nrcms.claims.models import Settlement, SettlementKind, SettlementStatus
from nrcms.core.money import to_fen
from nrcms.policy.cli import episode_from_dict
from nrcms.policy.types import YearToDate

from .columns import Row, frame, row_dict
from .errors import ExtractError


def _stored_charge(charge: dict) -> dict:
    """A stored charge line (the engine's ChargeItem field names) in the engine file format's names."""
    out = dict(charge)
    out["class"] = out.pop("catalogue_class", "A")
    return out


def extract_year(year: int) -> pl.DataFrame:
    settlements = (Settlement.objects.filter(kind=SettlementKind.SETTLEMENT, status=SettlementStatus.ACTIVE,
                                             episode__scheme_year=year)
                   .select_related("episode").order_by("episode__person_id", "settled_at", "id"))
    rows, starts = [], {}
    for s in settlements.iterator(chunk_size=2000):
        data = {**s.inputs["episode"], "charges": [_stored_charge(c) for c in s.inputs["charges"]],
                "categories": s.inputs.get("categories", [])}
        person_id = s.episode.person_id
        try:
            episode, person = episode_from_dict(data, f"结算单 {s.number}")
            if person_id not in starts:
                starts[person_id] = YearToDate.from_dict(s.inputs.get("year_to_date", {}))
        except ValueError as exc:
            raise ExtractError(f"结算单 {s.number} 的计算输入无法读取：{exc}") from exc
        rows.append(row_dict(Row(person_id, episode, person.categories, starts[person_id])))
    return frame(rows)


def year_income(year: int) -> int | None:
    """The year's fund income in fen, estimated as the persons who paid × the year's standard per person
    (personal contribution and every level's subsidy); None when the year has no standard."""
    from nrcms.funding.models import ContributionLine, ContributionStandard, ContributionStatus

    standard = (ContributionStandard.objects.filter(scheme_year=year)
                .order_by("-effective_from").first())
    if standard is None:
        return None
    persons = (ContributionLine.objects.filter(contribution__scheme_year=year, contribution__reverses__isnull=True,
                                               contribution__status=ContributionStatus.VALID)
               .values("person_id").distinct().count())
    return to_fen(standard.total_per_person) * persons


def latest_year() -> int:
    from nrcms.claims.models import Episode

    year = Episode.objects.aggregate(y=Max("scheme_year"))["y"]
    return year or dt.date.today().year

"""A year of episodes from the database, in the column format: every active settlement of the year, rebuilt
from the engine inputs it stored (so the replay settles exactly what the desk settled), one row each.

Each person's replay starts from zero totals for the year, except the family account, which starts from the
balance the person's first settlement of the year saw (the account rolls over from year to year). The
account is a household's; the replay keeps it per person (a documented simplification)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
from django.db.models import Max

from nrcms.claims.models import Settlement, SettlementKind, SettlementStatus
from nrcms.core.money import to_fen
from nrcms.policy.cli import episode_from_dict

from .columns import Row, frame, row_dict
from .errors import ExtractError


def extract_year(year: int) -> pl.DataFrame:
    settlements = (Settlement.objects.filter(kind=SettlementKind.SETTLEMENT, status=SettlementStatus.ACTIVE,
                                             episode__scheme_year=year)
                   .select_related("episode").order_by("episode__person_id", "settled_at", "id"))
    rows, seen = [], set()
    for s in settlements.iterator(chunk_size=2000):
        data = {**s.inputs["episode"], "charges": s.inputs["charges"], "categories": s.inputs.get("categories", [])}
        try:
            episode, person = episode_from_dict(data, f"结算单 {s.number}")
        except ValueError as exc:
            raise ExtractError(f"结算单 {s.number} 的计算输入无法读取：{exc}") from exc
        out = row_dict(Row(s.episode.person_id, episode, person.categories))
        balance = Decimal("0")
        if s.episode.person_id not in seen:
            seen.add(s.episode.person_id)
            balance = Decimal(str(s.inputs.get("year_to_date", {}).get("family_account_balance", "0")))
        out["start_family_account_balance"] = to_fen(balance)
        rows.append(out)
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

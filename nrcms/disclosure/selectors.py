"""What a disclosure (公示) lists, read from the same settlements the statistics count (nrcms/stats/sources.py):
desk settlements and manual out-of-county claims in the month, under the patient's household region, with
reversals netted out — a settlement reversed in the same month disappears, one reversed in a later month comes
back in that month as a negative 更正 row.

The reimbursement shown is what the scheme paid (新农合补偿: pooled fund and family account). Medical assistance
(医疗救助) and the safety net (兜底保障) are left out on purpose: only poor households receive them, so a figure
that included them would tell the village who is poor. The diagnosis is never read."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Sum
from django.db.models.functions import Substr

from nrcms.claims.models import Episode
from nrcms.core.errors import NrcmsError
from nrcms.core.money import ZERO
from nrcms.funding.ledger import fen_sum
from nrcms.funding.models import Contribution
from nrcms.registry.models import Region, RegionLevel
from nrcms.stats import fund
from nrcms.stats.scope import Scope, month_range
from nrcms.stats.sources import POOLED, net_by, sources

from .masking import mask_id_public, mask_name
from .models import Publication

REIMBURSED = POOLED + F("family_account")  # 新农合补偿: what the scheme's fund paid
LARGE_THRESHOLD = Decimal("10000.00")  # 大额补偿, yuan: the county office may choose another
MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True)
class PatientRow:
    """One reimbursed episode of the month, as it may be posted: name and ID number masked, no diagnosis, no
    category, no amount that only the poor receive."""

    name: str
    id_number: str
    village_code: str
    village: str
    hospital: str
    kind: str
    admission_date: dt.date
    discharge_date: dt.date | None
    total_cost: Decimal
    reimbursed: Decimal

    @property
    def correction(self) -> bool:
        """A negative row: a reimbursement of an earlier month taken back (冲正) in this one."""
        return self.reimbursed < 0 or self.total_cost < 0


@dataclass(frozen=True)
class TownshipFundRow:
    code: str
    name: str
    contributions: Decimal  # 个人缴费 collected from the township's households (net of reversals)
    count: int  # 结算人次 (net), as the statistics count them
    total_cost: Decimal
    reimbursed: Decimal  # 新农合补偿 paid for the township's patients


def month_of(text: str | None, *, field: str = "month") -> tuple[dt.date, dt.date]:
    """"2026-10" → (1 October, 31 October), or a Chinese refusal naming the field."""
    value = (text or "").strip()
    match = MONTH.fullmatch(value)
    if not match or not (2000 <= int(match.group(1)) <= 2100 and 1 <= int(match.group(2)) <= 12):
        shown = value if len(value) <= 20 else value[:20] + "…"
        raise NrcmsError("invalid", f"公示月份“{shown}”格式不正确，应为 YYYY-MM，如 2026-10", field=field)
    return month_range(int(match.group(1)), int(match.group(2)))


def month_label(start: dt.date) -> str:
    return f"{start.year} 年 {start.month} 月"


def _net_by_episode(start: dt.date, end: dt.date, prefix: str) -> dict[int, list]:
    """episode id → [count, total cost, reimbursed], net of reversals, for the patients under `prefix`."""
    out: dict[int, list] = defaultdict(lambda: [0, ZERO, ZERO])
    for src in sources(Scope(start=start, end=end, region_prefix=prefix)):
        rows = src.qs.values("episode_id").annotate(n=Sum(src.row_sign), total=Sum("total_cost"),
                                                    paid=Sum(REIMBURSED))
        for r in rows:
            acc = out[r["episode_id"]]
            acc[0] += src.sign * (r["n"] or 0)
            acc[1] += src.sign * fen_sum(r["total"])
            acc[2] += src.sign * fen_sum(r["paid"])
    return {k: v for k, v in out.items() if v[0] or v[1] or v[2]}


def _village_names(prefix: str) -> dict[str, str]:
    return dict(Region.objects.filter(code__startswith=prefix[:6], level__in=(RegionLevel.VILLAGE, RegionLevel.TOWNSHIP))
                .values_list("code", "name"))


def _rows(net: dict[int, list], prefix: str) -> list[PatientRow]:
    episodes = (Episode.objects.filter(pk__in=list(net)).select_related("person", "facility", "household__region")
                .only("kind", "admission_date", "discharge_date", "person__name", "person__id_number",
                      "facility__name", "household__region__code"))
    names = _village_names(prefix)
    rows = []
    for e in episodes:
        _n, total, paid = net[e.pk]
        village_code = e.household.region.code[:12]
        village = names.get(village_code) or names.get(village_code[:9] + "000", "") + "（乡镇直属）"
        rows.append((e.admission_date, e.pk, PatientRow(
            name=mask_name(e.person.name), id_number=mask_id_public(e.person.id_number), village_code=village_code,
            village=village, hospital=e.facility.name, kind=e.get_kind_display(), admission_date=e.admission_date,
            discharge_date=e.discharge_date, total_cost=total, reimbursed=paid)))
    return [row for *_key, row in sorted(rows, key=lambda r: (r[0], r[1]))]


def village_list(*, start: dt.date, end: dt.date, prefix: str) -> list[PatientRow]:
    """Every reimbursed patient of the month living under `prefix` (a village, or a whole township): a settlement
    that paid nothing (below the deductible, outside the catalogue) reimbursed no one and is not listed."""
    return _rows({k: v for k, v in _net_by_episode(start, end, prefix).items() if v[2]}, prefix)


def large_reimbursements(*, start: dt.date, end: dt.date, prefix: str,
                         threshold: Decimal = LARGE_THRESHOLD) -> list[PatientRow]:
    """大额补偿: the month's episodes whose net reimbursement is at least `threshold` yuan."""
    net = {k: v for k, v in _net_by_episode(start, end, prefix).items() if v[2] >= threshold}
    return sorted(_rows(net, prefix), key=lambda r: -r.reimbursed)


def township_fund(*, start: dt.date, end: dt.date, prefix: str) -> list[TownshipFundRow]:
    """Per township: personal contributions collected and reimbursements paid for its residents."""
    townships = Region.objects.filter(code__startswith=prefix, level=RegionLevel.TOWNSHIP).order_by("code")
    spent = net_by(Scope(start=start, end=end, region_prefix=prefix), Substr("episode__household__region__code", 1, 9))
    collected = {r["k"]: fen_sum(r["s"]) for r in (
        Contribution.objects.filter(paid_on__range=(start, end), household__region__code__startswith=prefix)
        .annotate(k=Substr("household__region__code", 1, 9)).values("k").annotate(s=Sum("total")).order_by())}
    rows = []
    for t in townships:
        totals = spent.get(t.prefix)
        rows.append(TownshipFundRow(
            code=t.code, name=t.name, contributions=collected.get(t.prefix, ZERO),
            count=totals.count if totals else 0, total_cost=totals.total_cost if totals else ZERO,
            reimbursed=totals.pooled + totals.family_account if totals else ZERO))
    return rows


def county_fund(*, start: dt.date, end: dt.date) -> fund.FundFlow:
    """The pooled fund's income, spending and balance (the fund is pooled county-wide: the county only)."""
    return fund.fund_flow(start, end)


def region_of(code: str, *, field: str, levels: tuple[str, ...]) -> Region:
    value = (code or "").strip()
    if len(value) > 15 or not value.isascii() or not value.isdigit():
        shown = value if len(value) <= 20 else value[:20] + "…"
        raise NrcmsError("invalid", f"区划代码“{shown}”格式不正确，应为 12 位数字", field=field)
    region = Region.objects.filter(code=value, level__in=levels).first()
    if region is None:
        labels = "、".join(RegionLevel(level).label for level in levels)
        raise NrcmsError("invalid", f"区划代码“{value}”不是本县的{labels}", field=field)
    return region


def publication_of(start: dt.date, region: Region) -> Publication | None:
    """The publication that covers `region` for the month: the county's, or its township's."""
    for pub in Publication.objects.filter(month=start).select_related("region", "published_by"):
        if region.code.startswith(pub.region.prefix):
            return pub
    return None


def published_months(region: Region) -> list[dt.date]:
    """The months published for `region` (a township or a village), newest first."""
    codes = [region.code[:6] + "000000", region.code[:9] + "000"]
    return list(Publication.objects.filter(region__code__in=codes).order_by("-month")
                .values_list("month", flat=True).distinct())


def publications(prefix: str) -> list[Publication]:
    """The publications a user of the region subtree `prefix` sees: their own region's and those above it."""
    return [p for p in Publication.objects.select_related("region", "published_by").order_by("-month", "region__code")
            if p.region.prefix.startswith(prefix) or prefix.startswith(p.region.prefix)]

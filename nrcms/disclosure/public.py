"""What anyone may read without logging in (/public/ and /api/public/disclosures): the published months' lists of
a village, chosen township → village → month. There is no search: neither by ID number nor by name. Every
request is counted against its client address (NRCMS_PUBLIC_PER_MINUTE a minute, held in the database across
workers); beyond it the answer is 429 in Chinese."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings

from nrcms.accounts.client_ip import client_ip
from nrcms.accounts.rate_limit import RateLimited, rate_take
from nrcms.core.errors import NrcmsError
from nrcms.registry.models import Region, RegionLevel

from .models import Publication
from .selectors import (
    PatientRow,
    TownshipFundRow,
    month_label,
    month_of,
    publication_of,
    published_months,
    region_of,
    township_fund,
    village_list,
)

log = logging.getLogger(__name__)
PUBLIC_SCOPE = "public.disclosure"


class NotPublished(NrcmsError):
    status = 404


def public_rate(request) -> None:
    """Count this request of its client address; RateLimited beyond the limit."""
    limit = settings.NRCMS_PUBLIC_PER_MINUTE
    key = f"ip:{client_ip(request) or 'unknown'}"
    decision = rate_take(scope=PUBLIC_SCOPE, key=key, limit=limit)
    if not decision.allowed:
        if decision.first_refusal:
            log.warning("public disclosure: %s over %s requests a minute", key, limit)
        raise RateLimited(f"访问过于频繁：每分钟最多 {limit} 次，请约 {decision.retry_after} 秒后再试",
                          retry_after=decision.retry_after)


def townships() -> list[Region]:
    """Townships of which at least one month is published (the county's publication covers them all)."""
    pubs = list(Publication.objects.select_related("region"))
    if not pubs:
        return []
    county_wide = any(p.region.level == RegionLevel.COUNTY for p in pubs)
    qs = Region.objects.filter(level=RegionLevel.TOWNSHIP, is_active=True).order_by("code")
    if county_wide:
        return list(qs)
    return list(qs.filter(code__in={p.region.code for p in pubs}))


def villages(township: Region) -> list[Region]:
    return list(Region.objects.filter(code__startswith=township.prefix, level=RegionLevel.VILLAGE, is_active=True)
                .order_by("code"))


@dataclass
class PublicList:
    village: Region
    start: dt.date
    published_at: dt.datetime
    rows: list[PatientRow]
    township: TownshipFundRow | None

    @property
    def month(self) -> str:
        return month_label(self.start)


def public_township(code: str) -> Region:
    return region_of(code, field="township", levels=(RegionLevel.TOWNSHIP,))


def public_village(code: str, township: Region | None = None) -> Region:
    village = region_of(code, field="village", levels=(RegionLevel.VILLAGE,))
    if township is not None and not village.code.startswith(township.prefix):
        raise NrcmsError("invalid", f"行政村“{village.name}”不属于{township.name}", field="village")
    return village


def public_list(village: Region, month: str) -> PublicList:
    """The published list of `village` for `month` (YYYY-MM); a month not published is refused, unseen."""
    start, end = month_of(month)
    pub = publication_of(start, village)
    if pub is None:
        raise NotPublished("not_published", f"{village.name}{month_label(start)}的公示尚未发布", field="month")
    fund = [t for t in township_fund(start=start, end=end, prefix=village.code[:9]) if t.code[:9] == village.code[:9]]
    return PublicList(village, start, pub.published_at, village_list(start=start, end=end, prefix=village.prefix),
                      fund[0] if fund else None)


def months_of(village: Region) -> list[str]:
    return [f"{m:%Y-%m}" for m in published_months(village)]

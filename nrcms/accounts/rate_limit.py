"""Rate limits kept in the database, so that they hold across gunicorn workers and servers: one RateCounter
row per (operation, client), changed only under its row lock (select_for_update), like the login lockout's
LoginThrottle. A fixed window: the first request opens a window of `window` length; within it at most
`limit` requests pass; the first refusal of a window is reported once (for the audit trail), later ones
are refused silently so that a client hammering the server cannot flood the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from nrcms.core.errors import NrcmsError

from .models import RateCounter

MINUTE = timedelta(minutes=1)


class RateLimited(NrcmsError):
    status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__("rate_limited", message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    hits: int  # requests passed in this window, this one included when allowed
    limit: int
    window_start: datetime
    first_refusal: bool = False  # the window's first refusal: record it
    window: timedelta = MINUTE

    @property
    def retry_after(self) -> int:
        """Seconds until the window ends (at least 1)."""
        left = self.window_start + self.window - timezone.now()
        return max(1, int(left.total_seconds()) + 1)


@transaction.atomic
def rate_take(*, scope: str, key: str, limit: int, window: timedelta = MINUTE) -> RateDecision:
    """Count one request of `key` for `scope`, or refuse it when the window's `limit` is used up."""
    now = timezone.now()
    row, _ = RateCounter.objects.get_or_create(scope=scope, key=key, defaults={"window_start": now})
    row = RateCounter.objects.select_for_update().get(pk=row.pk)
    if row.window_start <= now - window:
        row.hits, row.window_start, row.refusal_recorded = 0, now, False
    if row.hits >= limit:
        first = not row.refusal_recorded
        row.refusal_recorded = True
        row.save(update_fields=["hits", "window_start", "refusal_recorded"])
        return RateDecision(False, row.hits, limit, row.window_start, first_refusal=first, window=window)
    row.hits += 1
    row.save(update_fields=["hits", "window_start", "refusal_recorded"])
    return RateDecision(True, row.hits, limit, row.window_start, window=window)

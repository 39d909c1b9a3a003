"""超阈值预警: `nrcms scorecards run --month` compares each facility's month with the scheme's thresholds and
raises one FacilityAlert per facility, month and measure above its threshold, for the county office's to-do
list; the office acknowledges an alert with a note. Both are audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.services import require
from nrcms.core.errors import ValidationFailed

from .models import AlertStatus, Facility, FacilityAlert
from .services import text_bounded


@dataclass(frozen=True)
class RunResult:
    facilities: int
    raised: int  # new alerts
    updated: int  # open alerts whose value changed on a re-run
    unchanged: int


def scorecards_run(*, year: int, month: int, actor: User | None = None, progress=None) -> RunResult:
    """Compute the month's scorecards and raise the alerts; re-running updates an open alert's value and
    never duplicates one (an acknowledged alert stays as it was acknowledged)."""
    from nrcms.stats.scorecards import MEASURE_BY_KEY, scorecards

    if actor is not None:
        require(actor, Cap.FACILITY_MANAGE)
    first = dt.date(year, month, 1)
    cards = scorecards(year, month)
    if progress:
        progress(1)
    facilities = {f.code: f for f in Facility.objects.filter(code__in=[c.code for c in cards])}
    raised = updated = unchanged = 0
    with transaction.atomic():
        for card in cards:
            for key in card.above_keys:
                value, limit = card.values[key], card.thresholds[key]
                alert = FacilityAlert.objects.select_for_update().filter(
                    facility=facilities[card.code], month=first, measure=key).first()
                if alert is None:
                    alert = FacilityAlert.objects.create(facility=facilities[card.code], month=first, measure=key,
                                                         value=value, threshold=limit)
                    raised += 1
                    audit_record(actor=actor, action="facility.alert_raise", obj=alert,
                                 after={"measure": MEASURE_BY_KEY[key].label, "value": value, "threshold": limit,
                                        "month": first},
                                 facility_code=card.code)
                elif alert.status == AlertStatus.OPEN and (alert.value, alert.threshold) != (value, limit):
                    before = {"value": alert.value, "threshold": alert.threshold}
                    alert.value, alert.threshold = value, limit
                    alert.save(update_fields=["value", "threshold"])
                    updated += 1
                    audit_record(actor=actor, action="facility.alert_update", obj=alert, before=before,
                                 after={"value": value, "threshold": limit}, facility_code=card.code)
                else:
                    unchanged += 1
    if progress:
        progress(1)
    return RunResult(len(cards), raised, updated, unchanged)


@transaction.atomic
def alert_acknowledge(*, actor: User, alert: FacilityAlert, note: str) -> FacilityAlert:
    require(actor, Cap.FACILITY_MANAGE)
    note = text_bounded(note, field="note", label="处理说明", max_length=300, required=True)
    alert = FacilityAlert.objects.select_for_update().select_related("facility").get(pk=alert.pk)
    if alert.status != AlertStatus.OPEN:
        raise ValidationFailed("already_acknowledged", f"该预警已于 {timezone.localtime(alert.acknowledged_at):%Y-%m-%d} 处理",
                               field="alert")
    alert.status, alert.note = AlertStatus.ACKNOWLEDGED, note
    alert.acknowledged_by, alert.acknowledged_at = actor, timezone.now()
    alert.save(update_fields=["status", "note", "acknowledged_by", "acknowledged_at"])
    audit_record(actor=actor, action="facility.alert_acknowledge", obj=alert, reason=note,
                 before={"status": AlertStatus.OPEN}, after={"status": AlertStatus.ACKNOWLEDGED},
                 facility_code=alert.facility.code)
    return alert


def open_alerts():
    return FacilityAlert.objects.filter(status=AlertStatus.OPEN)

"""The desk's hook: trial and settlement call `check_episode`. Warn-level hits come back to be shown in the
trial result; a block-level hit refuses with the rule's Chinese text. At settlement the hits are stored with
the settlement (and sampled into the review queue like the batch's)."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from nrcms.claims.models import Episode, Settlement
from nrcms.core.errors import ValidationFailed

from .engine import Case, Hit, evaluate
from .facts import episode_facts
from .models import AuditHit, HitStage, SamplingRate
from .ruleset import ruleset_latest, ruleset_on


def rules_for(on: dt.date):
    ruleset = ruleset_on(on)
    return ruleset.in_force(on) if ruleset is not None else ()


def warning_out(hit: Hit) -> dict:
    return {"code": hit.rule.code, "name": hit.rule.name, "severity": hit.rule.severity, "message": hit.message}


def check_episode(*, episode: Episode, stage: str) -> list[Hit]:
    """Run the rules in force on the episode's date (discharge, else admission) at `stage` (trial / settle).
    Raises ValidationFailed with every blocking rule's text; returns the warn-level hits otherwise."""
    on = episode.discharge_date or episode.admission_date
    rules = rules_for(on)
    if not rules:
        return []
    fact, person, others = episode_facts(episode)
    hits = evaluate(Case(episode=fact, person=person, others=others), rules, stage)
    blocks = [h for h in hits if h.blocks]
    if blocks:
        raise ValidationFailed("audit_rule_block", "智能审核不予结算：" + "；".join(h.message for h in blocks),
                               field="episode", details=[warning_out(h) for h in blocks])
    return hits


def sampled(key: str, rate: Decimal) -> bool:
    """Deterministic sampling: the same hit always gets the same answer, whoever runs the rules and when."""
    if rate >= 1:
        return True
    if rate <= 0:
        return False
    bucket = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % 10000
    return bucket < int(rate * 10000)


def sampling_rates() -> tuple[dict[int, Decimal], Decimal]:
    default = ruleset_latest().default_sampling_rate
    return dict(SamplingRate.objects.values_list("facility_id", "rate")), default


def hit_rows(*, hits: list[Hit], episode_id: int, settlement_id: int | None, facility_id: int, person_id: int,
             month: dt.date, stage: str, run_id: int | None, rates: dict, default_rate: Decimal) -> list[AuditHit]:
    rows = []
    for hit in hits:
        key = f"{hit.rule.code}|{episode_id}|{hit.key}"
        in_queue = hit.blocks or sampled(key, rates.get(facility_id, default_rate))
        rows.append(AuditHit(rule_code=hit.rule.code, rule_name=hit.rule.name, rule_version=hit.rule.version,
                             severity=hit.rule.severity, stage=stage, key=hit.key[:60], message=hit.message[:500],
                             evidence=hit.evidence, episode_id=episode_id, settlement_id=settlement_id,
                             facility_id=facility_id, person_id=person_id, month=month, run_id=run_id,
                             in_queue=in_queue))
    return rows


def settlement_hits_store(*, settlement: Settlement, hits: list[Hit]) -> int:
    """Store the desk's warn-level hits with the settlement just made (inside its transaction)."""
    if not hits:
        return 0
    rates, default = sampling_rates()
    episode = settlement.episode
    for hit in hits:  # the evidence was gathered before the settlement had its number
        for ref in hit.evidence.get("episodes", []):
            if ref.get("serial") == episode.serial and not ref.get("settlement"):
                ref["settlement"] = settlement.number
    month = timezone.localdate().replace(day=1)
    rows = hit_rows(hits=hits, episode_id=episode.pk, settlement_id=settlement.pk, facility_id=episode.facility_id,
                    person_id=episode.person_id, month=month, stage=HitStage.SETTLE, run_id=None, rates=rates,
                    default_rate=default)
    try:
        with transaction.atomic():
            AuditHit.objects.bulk_create(rows, ignore_conflicts=True)
    except IntegrityError:  # pragma: no cover - ignore_conflicts covers it on both databases
        return 0
    return len(rows)

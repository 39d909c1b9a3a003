"""月度批量审核: every active settlement settled in a month (the same month a facility statement holds), run
through the rules in force on each episode's date. Loading is set-based (facts.py: a fixed number of queries
for the whole month); the rules run in Python over plain data; the hits are bulk-inserted. Progress is written
to the AuditRun row every chunk, so the page and the CLI can show it. Running a month again adds only the hits
not found before (a hit is unique per rule, episode and key) and never touches decisions already taken."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.db.models import Subquery
from django.utils import timezone
from django_tasks import task

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.claims.models import Episode, Settlement
from nrcms.core.errors import Conflict, Forbidden
from nrcms.payments.common import month_bounds, month_next, month_parse

from .checks import hit_rows, rules_for, sampling_rates
from .engine import Case, evaluate
from .facts import EPISODE_FIELDS, _episode_fact, lines_of, norms_for, others_of, persons_of
from .models import AuditHit, AuditRun, HitStage, RunStatus
from .ruleset import ruleset_latest

CHUNK = 500


def run_start(*, actor: User | None, month) -> AuditRun:
    """Record a run for the month (refused while another run of it is going)."""
    if actor is not None and not actor.can(Cap.SUPERVISION_REVIEW):
        raise Forbidden("只有县合管办审核员可以发起月度智能审核")
    month = month_parse(month)
    if month > timezone.localdate():
        raise Conflict("month_not_started", f"{month:%Y 年 %m 月}尚未开始，不能审核", field="month")
    with transaction.atomic():
        if AuditRun.objects.select_for_update().filter(month=month, status=RunStatus.RUNNING).exists():
            raise Conflict("run_in_progress", f"{month:%Y 年 %m 月}的批量审核正在运行，请等待完成", field="month")
        run = AuditRun.objects.create(month=month, started_by=actor, rules_file=ruleset_latest().source)
    return run


def run_execute(run: AuditRun, progress: Callable[[int, int], None] | None = None) -> AuditRun:
    """Run the month. `progress(done, total)` is called after each chunk (the CLI's progress bar)."""
    began = time.monotonic()
    try:
        _execute(run, progress)
        run.status = RunStatus.DONE
    except Exception as exc:
        run.status, run.error = RunStatus.FAILED, str(exc)[:300]
        raise
    finally:
        run.seconds = Decimal(str(round(time.monotonic() - began, 2)))
        run.finished_at = timezone.now()
        run.save()
        audit_record(actor=run.started_by, action="supervision.run", obj=run,
                     after={"month": f"{run.month:%Y-%m}", "status": run.status, "settlements": run.total,
                            "hits": run.hits_found, "new_hits": run.hits_new, "seconds": run.seconds})
    return run


def _execute(run: AuditRun, progress) -> None:
    start, end = month_bounds(run.month)
    settlements = Settlement.objects.filter(kind="settlement", status="active", settled_at__gte=start,
                                            settled_at__lt=end)
    month_episodes = Episode.objects.filter(id__in=Subquery(settlements.values("episode_id")))
    rows = list(month_episodes.order_by("id").values_list(*EPISODE_FIELDS))
    run.total = len(rows)
    run.save(update_fields=["total"])
    if not rows:
        return
    settled = {e: (n, t) for e, n, t in settlements.order_by().values_list("episode_id", "number", "total_cost")}
    settlement_ids = dict(settlements.order_by().values_list("episode_id", "id"))
    lines = lines_of(Subquery(month_episodes.values("id")))
    person_ids = Subquery(month_episodes.values("person_id"))
    persons = persons_of(person_ids)
    first_day = min(r[4] for r in rows)
    last_day = max((r[5] or r[4]) for r in rows)
    others = others_of(person_ids, first_day, last_day)
    latest = ruleset_latest()
    outlier = next((r for r in latest.rules if r.kind == "cost_outlier"), None)
    norms = norms_for(month_next(run.month), outlier.params.months_back, outlier.params.min_cases) if outlier else {}
    rates, default_rate = sampling_rates()
    before = AuditHit.objects.filter(month=run.month).count()
    found = 0
    for offset in range(0, len(rows), CHUNK):
        chunk, new_hits = rows[offset: offset + CHUNK], []
        for row in chunk:
            fact = _episode_fact(row, settled, lines)
            person_id = row[-1]
            case = Case(episode=fact, person=persons[person_id], norms=norms,
                        others=tuple(o for o in others.get(person_id, ()) if o.id != fact.id))
            hits = evaluate(case, rules_for(fact.end), "batch")
            found += len(hits)
            new_hits += hit_rows(hits=hits, episode_id=fact.id, settlement_id=settlement_ids[fact.id],
                                 facility_id=fact.facility_id, person_id=person_id, month=run.month,
                                 stage=HitStage.BATCH, run_id=run.pk, rates=rates, default_rate=default_rate)
        AuditHit.objects.bulk_create(new_hits, ignore_conflicts=True, batch_size=1000)
        run.processed = offset + len(chunk)
        run.hits_found = found
        run.save(update_fields=["processed", "hits_found"])
        if progress is not None:
            progress(run.processed, run.total)
    run.hits_new = AuditHit.objects.filter(month=run.month).count() - before


@task()
def run_task(run_id: int) -> None:
    """Run by django-tasks: at once with the immediate backend, in `nrcms db_worker` with the database one."""
    run_execute(AuditRun.objects.select_related("started_by").get(pk=run_id))

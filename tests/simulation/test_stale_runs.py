"""Issue 13: a run whose background task died stays 计算中 no longer. With no progress heartbeat for
NRCMS_SIMULATION_STALE_MINUTES it is marked 失败 with a Chinese reason when the page or the API reads it, and
“重新计算” starts it again as a new run (the failed one is kept)."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from nrcms.accounts.models import AuditEntry
from nrcms.demo.claims import YEAR
from nrcms.simulation import runs
from nrcms.simulation.models import RunStatus, SimulationRun

pytestmark = pytest.mark.django_db
IN_FORCE = "demo-layered-2020@2020-01-01"


def dead_run(reviewer, *, minutes: int, status=RunStatus.RUNNING) -> SimulationRun:
    """A run whose task died `minutes` ago at 40 %."""
    run = runs.simulation_run_create(actor=reviewer, scheme_keys=[IN_FORCE], year=YEAR)  # not queued
    then = timezone.now() - dt.timedelta(minutes=minutes)
    SimulationRun.objects.filter(pk=run.pk).update(
        status=status, progress=40 if status == RunStatus.RUNNING else 0, step="第 1 个方案",
        created_at=then, started_at=then if status == RunStatus.RUNNING else None,
        heartbeat_at=then if status == RunStatus.RUNNING else None)
    return run


def test_a_run_silent_past_the_limit_is_failed_on_the_api_read_with_a_reason(client, login, settings):
    settings.NRCMS_SIMULATION_STALE_MINUTES = 30
    reviewer = login("reviewer")
    dead, alive = dead_run(reviewer, minutes=31), dead_run(reviewer, minutes=29)
    data = json.loads(client.get(f"/api/simulation/runs/{dead.pk}").content)
    assert data["status"] == "failed" and data["status_label"] == "失败"
    assert "后台计算已中断" in data["message"] and "超过 30 分钟没有进度（原状态：计算中）" in data["message"]
    assert data["progress"] == 40  # where it stopped
    assert json.loads(client.get(f"/api/simulation/runs/{alive.pk}").content)["status"] == "running"
    entry = AuditEntry.objects.get(action="simulation.stale", object_id=str(dead.pk))
    assert entry.before["status"] == "running" and entry.after["status"] == "failed"
    assert not AuditEntry.objects.filter(action="simulation.stale", object_id=str(alive.pk)).exists()


def test_a_queued_run_no_worker_ever_took_is_failed_too(client, login, settings):
    settings.NRCMS_SIMULATION_STALE_MINUTES = 30
    reviewer = login("reviewer")
    queued = dead_run(reviewer, minutes=45, status=RunStatus.PENDING)
    page = client.get("/simulation/").content.decode()  # the list reads the runs too
    queued.refresh_from_db()
    assert queued.status == RunStatus.FAILED and "原状态：排队中" in queued.message
    assert "失败" in page


def test_a_heartbeat_keeps_a_long_run_alive(login, settings):
    settings.NRCMS_SIMULATION_STALE_MINUTES = 30
    reviewer = login("reviewer")
    run = dead_run(reviewer, minutes=120)  # started two hours ago …
    runs._save_progress(run, 60, "第 2 个方案")  # … but still stepping
    assert runs.runs_stale_fail() == []
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING and run.heartbeat_at > timezone.now() - dt.timedelta(minutes=1)


def test_the_page_shows_the_reason_and_recalculates(client, login, settings, django_capture_on_commit_callbacks):
    settings.NRCMS_SIMULATION_STALE_MINUTES = 30
    reviewer = login("reviewer")
    dead = dead_run(reviewer, minutes=31)
    page = client.get(f"/simulation/runs/{dead.pk}/").content.decode()
    assert 'data-testid="simulation-failed">后台计算已中断' in page and 'data-testid="simulation-retry"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/simulation/runs/{dead.pk}/")
    again = SimulationRun.objects.get(retry_of=dead)
    assert response.status_code == 302 and response["Location"] == f"/simulation/runs/{again.pk}/"
    assert again.status == RunStatus.DONE and again.inputs == dead.inputs  # the immediate backend ran it
    assert again.result["episodes"] > 0
    dead.refresh_from_db()
    assert dead.status == RunStatus.FAILED  # kept as it was
    page = client.get(f"/simulation/runs/{dead.pk}/").content.decode()
    assert f"测算 {again.pk}</a>（已完成）" in page
    assert f"测算 {dead.pk}</a>的重新计算" in client.get(f"/simulation/runs/{again.pk}/").content.decode()
    assert AuditEntry.objects.filter(action="simulation.retry", object_id=str(again.pk)).exists()


def test_only_a_failed_run_is_recalculated_through_the_api(client, login, settings):
    settings.NRCMS_SIMULATION_STALE_MINUTES = 30
    reviewer = login("reviewer")
    alive = dead_run(reviewer, minutes=5)
    response = client.post(f"/api/simulation/runs/{alive.pk}/retry")
    assert response.status_code == 422 and json.loads(response.content)["code"] == "not_failed"
    dead = dead_run(reviewer, minutes=31)
    response = client.post(f"/api/simulation/runs/{dead.pk}/retry")
    data = json.loads(response.content)
    assert response.status_code == 202 and data["retry_of"] == dead.pk and data["id"] != dead.pk
    login("desk_county")
    assert client.post(f"/api/simulation/runs/{dead.pk}/retry").status_code == 403

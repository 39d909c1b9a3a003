"""Roster import jobs: a job killed half-way is found by its old heartbeat, marked 中断, and resumed to completion;
the page enqueues a background task (the immediate backend runs it in tests)."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from test_roster_import import csv_bytes, good_rows

from nrcms.accounts.models import AuditEntry
from nrcms.core.errors import ValidationFailed
from nrcms.registry import roster_import, roster_write
from nrcms.registry.models import Enrollment, Household, ImportJob, Person, Region

pytestmark = pytest.mark.django_db
TOWNSHIP = "610125100000"


class Killed(BaseException):
    """Stands for kill -9: no `except Exception` handler runs, the job row is left as it was."""


def killed_after_first_household(demo, monkeypatch):
    monkeypatch.setattr(roster_write, "BATCH_HOUSEHOLDS", 1)
    real_write = roster_write._write_new
    calls = []

    def write_then_die(batch, scheme_year, today):
        calls.append(1)
        if len(calls) == 2:
            raise Killed
        return real_write(batch, scheme_year, today)

    monkeypatch.setattr(roster_write, "_write_new", write_then_die)
    job = roster_import.roster_import_create(actor=demo["ganting"], township=Region.objects.get(code=TOWNSHIP),
                                             file_name="r.csv", content=csv_bytes(good_rows()), scheme_year=2026)
    with pytest.raises(Killed):
        roster_import.roster_import_run(job)
    monkeypatch.setattr(roster_write, "_write_new", real_write)
    job.refresh_from_db()
    return job


def test_killed_import_is_marked_stale_and_resumes_to_completion(demo, monkeypatch):
    job = killed_after_first_household(demo, monkeypatch)
    assert job.status == "running" and (job.households_created, job.persons_created) == (1, 3)
    assert roster_import.import_jobs_mark_stale() == []  # heartbeat still fresh: not stale yet
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(minutes=16))
    assert roster_import.import_jobs_mark_stale() == [job.pk]
    job.refresh_from_db()
    assert job.status == "stale" and job.get_status_display() == "中断" and "继续导入" in job.message
    assert AuditEntry.objects.filter(action="roster.import_stale", object_id=str(job.pk)).exists()

    job = roster_import.roster_import_resume(actor=demo["ganting"], job=job)  # immediate backend: runs now
    assert job.status == "done" and job.resumed_count == 1 and job.rows_done == job.rows_total == 5
    # counted once: the household written before the kill is "created", not also "unchanged"
    assert (job.households_created, job.persons_created, job.persons_enrolled) == (2, 5, 4)
    assert job.households_unchanged == 0 and job.rows_error == 0
    ids = [r[4] for r in good_rows()]
    assert Person.objects.filter(id_number__in=ids).count() == 5
    assert Household.objects.filter(members__id_number__in=ids).distinct().count() == 2
    assert Enrollment.objects.filter(person__id_number__in=ids, scheme_year=2026).count() == 4
    assert AuditEntry.objects.filter(action="roster.import_resume", object_id=str(job.pk)).count() == 1


def test_only_interrupted_or_failed_jobs_resume_and_a_second_delivery_does_nothing(demo):
    job = roster_import.roster_import_create(actor=demo["ganting"], township=Region.objects.get(code=TOWNSHIP),
                                             file_name="r.csv", content=csv_bytes(good_rows()), scheme_year=2026)
    job = roster_import.roster_import_run(job)
    assert job.status == "done"
    with pytest.raises(ValidationFailed, match="只有“中断”或“失败”的任务可以继续导入"):
        roster_import.roster_import_resume(actor=demo["ganting"], job=job)
    persons = Person.objects.count()
    again = roster_import.roster_import_run(job)  # the task delivered twice
    assert again.status == "done" and Person.objects.count() == persons
    assert AuditEntry.objects.filter(action="roster.import", object_id=str(job.pk)).count() == 1


def test_import_page_enqueues_a_task(client, login, monkeypatch):
    login("ganting")
    enqueued = []
    real = roster_import.roster_import_task

    class Spy:
        def enqueue(self, job_id):
            enqueued.append(job_id)
            return real.enqueue(job_id)

    monkeypatch.setattr(roster_import, "roster_import_task", Spy())
    upload = io.BytesIO(csv_bytes(good_rows()))
    upload.name = "r.csv"
    response = client.post("/registry/import/", {"township": TOWNSHIP, "year": "2026", "file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and enqueued == [job.pk]
    assert job.status == "done" and job.persons_created == 5


def test_stale_job_page_offers_resume_and_resuming_finishes_it(client, login, demo, monkeypatch):
    job = killed_after_first_household(demo, monkeypatch)
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    login("ganting")
    page = client.get(f"/registry/import/{job.pk}/").content.decode()  # opening the page finds it stale
    assert "中断" in page and 'data-testid="import-resume"' in page and "hx-trigger" not in page
    response = client.post(f"/registry/import/{job.pk}/resume/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "done" and job.persons_created == 5
    page = client.get(f"/registry/import/{job.pk}/").content.decode()
    assert "续导 1 次" in page and 'data-testid="import-resume"' not in page


def test_resume_through_the_api(client, login, demo, monkeypatch):
    job = killed_after_first_household(demo, monkeypatch)
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    roster_import.import_jobs_mark_stale()
    login("ganting")
    response = client.post(f"/api/registry/imports/{job.pk}/resume")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "done" and response.json()["persons_created"] == 5
    again = client.post(f"/api/registry/imports/{job.pk}/resume")
    assert again.status_code == 422 and again.json()["field"] == "status"

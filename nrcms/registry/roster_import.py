"""Importing a township's roster: the job around read → validate → write (roster_template.read_roster,
roster_validate, roster_write). The upload is recorded and its columns checked in the request; the import
itself runs as a background task (django-tasks: a database worker in production, at once in tests and
`make demo`). A job whose process died is found by its heartbeat (no progress for NRCMS_IMPORT_STALE_MINUTES),
marked 中断, and can be resumed: the whole stored file runs again, which is safe because the import is
idempotent per household — households written by the killed run are found "unchanged" and only the remaining
batches are written. Rows that fail come back as a Chinese error report (.xlsx), one sentence per row."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

import polars as pl
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import region_q
from nrcms.accounts.services import require
from nrcms.core.errors import NotFound, ValidationFailed
from nrcms.core.export import xlsx_bytes

from .enrollment import check_scheme_year
from .models import ImportJob, ImportStatus, Region, RegionLevel
from .roster_template import COLUMNS, read_roster
from .roster_write import ImportResult, import_frame

__all__ = ["import_frame", "roster_import_create", "roster_import_run", "roster_import_resume",
           "import_jobs_mark_stale", "roster_import_task", "error_report_xlsx"]

# The table read when the upload was checked, reused when the job runs in the same process (immediate tasks,
# the CLI) so a 470,000-row workbook is parsed once. Keyed by content hash; holds one file at most.
_read_cache: dict[str, pl.DataFrame] = {}
ERROR_HEADERS = ["行号", *[c.header for c in COLUMNS], "错误说明"]
RESUMABLE = (ImportStatus.STALE, ImportStatus.FAILED)


def error_report_xlsx(errors: list[dict]) -> bytes:
    rows = ([e["row"], *[e.get(c.key, "") for c in COLUMNS], e["error"]] for e in sorted(errors, key=lambda e: e["row"]))
    return xlsx_bytes("错误报告", ERROR_HEADERS, rows)


def _scoped_township(actor: User, township: Region) -> None:
    require(actor, Cap.REGISTRY_EDIT)
    if township.level != RegionLevel.TOWNSHIP:
        raise ValidationFailed("invalid", f"花名册按乡镇导入，“{township.name}”不是乡镇", field="township")
    if not Region.objects.filter(region_q(actor), pk=township.pk).exists():
        raise NotFound("乡镇", township.code)


@transaction.atomic
def roster_import_create(*, actor: User, township: Region, file_name: str, content: bytes,
                         scheme_year: int | None) -> ImportJob:
    """Record the upload. The file is read (and its columns checked) now, so a wrong file is refused at once."""
    _scoped_township(actor, township)
    if scheme_year is not None:
        check_scheme_year(scheme_year)
    frame = read_roster(content, file_name)
    _read_cache.clear()
    _read_cache[hashlib.sha256(content).hexdigest()] = frame
    if frame.height == 0:
        raise ValidationFailed("empty", "文件中没有数据行", field="file")
    job = ImportJob(township=township, scheme_year=scheme_year, file_name=file_name[:200], created_by=actor,
                    file_hash=hashlib.sha256(content).hexdigest(), rows_total=frame.height)
    job.upload.save(file_name, ContentFile(content), save=False)
    job.save()
    return job


def stale_before(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(minutes=settings.NRCMS_IMPORT_STALE_MINUTES)


def import_jobs_mark_stale(*, now: dt.datetime | None = None) -> list[int]:
    """Mark 中断 every running job without progress for NRCMS_IMPORT_STALE_MINUTES (its process was killed or
    the machine restarted). Called by the import pages and `nrcms import stale`; returns the jobs marked."""
    cutoff = stale_before(now)
    marked = []
    for job in ImportJob.objects.filter(status=ImportStatus.RUNNING).select_related("township", "created_by"):
        last = job.heartbeat_at or job.created_at
        if last >= cutoff:
            continue
        with transaction.atomic():
            updated = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.RUNNING,
                                               heartbeat_at=job.heartbeat_at).update(
                status=ImportStatus.STALE, finished_at=timezone.now(),
                message=(f"导入中断：自 {timezone.localtime(last):%Y-%m-%d %H:%M} 起超过 "
                         f"{settings.NRCMS_IMPORT_STALE_MINUTES} 分钟没有进展（后台进程可能已停止）；"
                         f"已写入的批次保留，可点击“继续导入”完成其余部分"))
            if updated:
                audit_record(actor=None, action="roster.import_stale", obj=job, region_code=job.township.code,
                             after={"rows_done": job.rows_done, "heartbeat_at": last.isoformat()})
                marked.append(job.pk)
    return marked


def roster_import_resume(*, actor: User, job: ImportJob) -> ImportJob:
    """Queue an interrupted (中断) or failed job again. The stored file runs again from the start; households the
    earlier run wrote are found unchanged, so only the remaining batches are written."""
    _scoped_township(actor, job.township)
    with transaction.atomic():
        updated = ImportJob.objects.filter(pk=job.pk, status__in=RESUMABLE).update(
            status=ImportStatus.PENDING, finished_at=None, resumed_count=job.resumed_count + 1,
            message="已重新排队，等待后台任务继续导入")
        if not updated:
            raise ValidationFailed("invalid", f"导入任务 {job.pk} 的状态为“{job.get_status_display()}”，"
                                   "只有“中断”或“失败”的任务可以继续导入", field="status")
        audit_record(actor=actor, action="roster.import_resume", obj=job, region_code=job.township.code,
                     before={"status": job.status, "rows_done": job.rows_done})
    roster_import_task.enqueue(job.pk)
    job.refresh_from_db()
    return job


def roster_import_run(job: ImportJob, progress: Callable[[int], None] | None = None) -> ImportJob:
    """Carry out an import job (in a task worker, at once with the immediate backend, or from the CLI)."""
    started = ImportJob.objects.filter(pk=job.pk, status__in=[ImportStatus.PENDING, *RESUMABLE]).update(
        status=ImportStatus.RUNNING, heartbeat_at=timezone.now())
    job.refresh_from_db()
    if not started:  # already done, or running elsewhere: a task delivered twice does nothing
        return job
    created_before = job.households_created

    def report(done: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(rows_done=min(done, job.rows_total), heartbeat_at=timezone.now())
        if progress:
            progress(done)

    try:
        frame = _read_cache.pop(job.file_hash, None)
        if frame is None:  # another process (a task worker) or a resumed run
            with job.upload.open("rb") as handle:
                frame = read_roster(handle.read(), job.file_name)
        result = import_frame(frame, actor=job.created_by, township=job.township, scheme_year=job.scheme_year,
                              job=job, progress=report)
    except ValidationFailed as exc:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED, message=exc.message[:500],
                                                   finished_at=timezone.now())
        job.refresh_from_db()
        return job
    except Exception:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED, finished_at=timezone.now(),
                                                   message="导入时发生系统错误，已写入的批次保留，其余未导入；可继续导入或联系系统管理员")
        raise
    return _finish(job, result, created_before)


def _finish(job: ImportJob, result: ImportResult, created_before: int) -> ImportJob:
    job.refresh_from_db()  # the counters of written batches were added batch by batch (roster_write)
    if result.errors:
        job.error_report.save(f"错误报告-{job.pk}.xlsx", ContentFile(error_report_xlsx(result.errors)), save=False)
    job.status, job.finished_at, job.rows_done = ImportStatus.DONE, timezone.now(), job.rows_total
    # households an interrupted run wrote are found unchanged by the resumed run: count them once, as created
    job.households_unchanged = max(0, result.households_unchanged - created_before)
    job.rows_error = result.rows_error
    job.message = (f"新建 {job.households_created} 户 {job.persons_created} 人，未变化 {job.households_unchanged} 户，"
                   f"参合 {job.persons_enrolled} 人，错误 {job.rows_error} 行"
                   + (f"（续导 {job.resumed_count} 次）" if job.resumed_count else ""))
    job.save()
    audit_record(actor=job.created_by, action="roster.import", obj=job, region_code=job.township.code,
                 after={"file_hash": job.file_hash, "rows": job.rows_total, "households_created": job.households_created,
                        "persons_created": job.persons_created, "households_unchanged": job.households_unchanged,
                        "persons_enrolled": job.persons_enrolled, "rows_error": job.rows_error,
                        "resumed": job.resumed_count})
    return job


@task()
def roster_import_task(job_id: int) -> None:
    """Run by django-tasks: at once with the immediate backend, in `nrcms db_worker` with the database backend."""
    roster_import_run(ImportJob.objects.select_related("township", "created_by").get(pk=job_id))

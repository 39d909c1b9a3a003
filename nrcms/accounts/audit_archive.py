"""Archiving the audit trail: rows older than the cut-off (and at least AUDIT_RETENTION_MONTHS old) are
written to a JSON-lines file with a signed manifest (sha256 of the file, first and last hash), then removed
from the database — the only sanctioned removal (audit_guard.removal_allowed). An AuditArchive row marks
where the online chain now starts, so verification continues from the archived head."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from nrcms.core.errors import NrcmsError, ValidationFailed

from .audit import audit_record
from .audit_guard import removal_allowed
from .audit_hashing import GENESIS, HASHED_FIELDS, entry_digest, key_id, signature
from .audit_verification import archive_payload, audit_verify
from .models import AuditArchive, AuditEntry, User

ROW_FIELDS = (*HASHED_FIELDS, "actor_id", "prev_hash", "hash")


@dataclass(frozen=True)
class Archived:
    first_seq: int
    last_seq: int
    count: int
    path: Path
    manifest_path: Path
    file_sha256: str


def months_before(day: dt.date, months: int) -> dt.date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    for d in range(day.day, 0, -1):  # 31 August − 6 months → 28/29 February
        try:
            return dt.date(year, month + 1, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def audit_archive(*, before: dt.date, actor: User | None = None, directory=None, reason: str = "",
                  authority: str = "", today: dt.date | None = None, progress=None) -> Archived:
    months = settings.AUDIT_RETENTION_MONTHS
    latest_allowed = months_before(today or timezone.localdate(), months)
    if before > latest_allowed:
        raise ValidationFailed(
            "audit_retention", f"归档截止日期 {before} 太近：审计记录至少在线保存 {months} 个月，"
            f"截止日期不得晚于 {latest_allowed}", field="before")
    report = audit_verify()
    if not report.ok:
        raise NrcmsError("audit_chain_broken", f"审计链校验失败，不能归档（归档会掩盖问题）：{report.problem}")
    marker = AuditArchive.objects.order_by("-last_seq").first()
    first_seq, prev_hash = (marker.last_seq + 1, marker.last_hash) if marker else (1, GENESIS)
    cutoff = timezone.make_aware(dt.datetime.combine(before, dt.time.min))
    recent = AuditEntry.objects.filter(seq__gte=first_seq, at__gte=cutoff).order_by("seq").values_list("seq", flat=True)
    first_recent = recent.first()
    last_seq = (first_recent - 1) if first_recent is not None else report.last_seq
    if last_seq < first_seq:
        raise ValidationFailed("audit_nothing_to_archive", f"没有早于 {before} 的审计记录可归档", field="before")

    folder = Path(directory or settings.AUDIT_ARCHIVE_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"audit-archive-{first_seq:010d}-{last_seq:010d}"
    path, manifest_path = folder / f"{stem}.jsonl", folder / f"{stem}.manifest.json"
    rows = AuditEntry.objects.filter(seq__gte=first_seq, seq__lte=last_seq).order_by("seq").values(*ROW_FIELDS)
    digest, count, last_hash = hashlib.sha256(), 0, prev_hash
    try:
        with path.open("w", encoding="utf-8") as out:
            for row in rows.iterator(chunk_size=5000):
                line = json.dumps(_row_json(row), ensure_ascii=False, sort_keys=True) + "\n"
                out.write(line)
                digest.update(line.encode())
                count, last_hash = count + 1, row["hash"]
                if progress:
                    progress(1)
        manifest = {
            "what": "nrcms audit archive", "first_seq": first_seq, "last_seq": last_seq, "count": count,
            "first_prev_hash": prev_hash, "last_hash": last_hash, "before": before.isoformat(),
            "created_at": timezone.now().astimezone(dt.UTC).isoformat(timespec="seconds"),
            "file": path.name, "file_sha256": digest.hexdigest(), "key_id": key_id(),
        }
        manifest["signature"] = signature(manifest)
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        with transaction.atomic():
            with removal_allowed():
                AuditEntry.objects.filter(seq__gte=first_seq, seq__lte=last_seq).delete()
            archive = AuditArchive(first_seq=first_seq, last_seq=last_seq, last_hash=last_hash, before=before,
                                   at=timezone.now(), file_name=path.name, file_sha256=manifest["file_sha256"])
            archive.signature = signature(archive_payload(archive))
            archive.save()
            audit_record(actor=actor, action="audit.archive", obj=archive, reason=reason, authority=authority,
                         after={"first_seq": first_seq, "last_seq": last_seq, "count": count,
                                "file": path.name, "file_sha256": manifest["file_sha256"]})
    except BaseException:
        path.unlink(missing_ok=True)
        manifest_path.unlink(missing_ok=True)
        raise
    return Archived(first_seq, last_seq, count, path, manifest_path, manifest["file_sha256"])


def _row_json(row: dict) -> dict:
    return {**row, "at": row["at"].astimezone(dt.UTC).isoformat(timespec="microseconds")}


def archive_file_verify(manifest_path) -> tuple[bool, str]:
    """Check an archive file on its own: the manifest's signature, the file's sha256 and the chain inside it."""
    manifest_path = Path(manifest_path)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    claimed = manifest.pop("signature", "")
    if not hmac.compare_digest(claimed, signature(manifest)):
        return False, f"归档清单 {manifest_path.name} 的签名不符（被改动或用了别的密钥）"
    path = manifest_path.with_name(manifest["file"])
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != manifest["file_sha256"]:
        return False, f"归档文件 {path.name} 的 SHA-256 与清单不符（文件被改动）"
    prev_hash, expected = manifest["first_prev_hash"], manifest["first_seq"]
    for line in data.decode("utf-8").splitlines():
        row = json.loads(line)
        row["at"] = dt.datetime.fromisoformat(row["at"])
        if row["seq"] != expected or row["prev_hash"] != prev_hash or entry_digest(prev_hash, row) != row["hash"]:
            return False, f"归档文件 {path.name} 第 {expected} 条记录校验失败"
        prev_hash, expected = row["hash"], expected + 1
    if expected - 1 != manifest["last_seq"] or prev_hash != manifest["last_hash"]:
        return False, f"归档文件 {path.name} 的记录条数或最后哈希与清单不符"
    return True, f"归档文件完整：第 {manifest['first_seq']}–{manifest['last_seq']} 条共 {manifest['count']} 条记录"

"""`nrcms backup verify`: a backup is only as good as a restore from it. Restore into a scratch database
(SQLite: a temporary file; PostgreSQL: a database created and dropped for the purpose), compare the key tables'
row counts with the manifest, and run `nrcms ledger check` and `nrcms audit verify` against it — the same
commands an operator runs, in a child process pointed at the scratch database, so the live one is never
touched. The result is recorded on the backup's BackupRecord in the live database."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.core.errors import ValidationFailed

from . import manifest, pg
from .backup import Step, backup_size, opened
from .models import BackupRecord
from .restore import Target, count_differences, restore_database

CHECKS = [("账簿核对（nrcms ledger check）", ["ledger", "check"]),
          ("审计链校验（nrcms audit verify）", ["audit", "verify"])]
STEPS = 5


@dataclass
class VerifyOut:
    ok: bool = False
    lines: list[str] = field(default_factory=list)
    record: BackupRecord | None = None

    @property
    def message(self) -> str:
        return "\n".join(self.lines)


def backup_verify(*, path: Path, step: Step | None = None) -> VerifyOut:
    step = step or (lambda _: None)
    path = Path(path).resolve()
    out = VerifyOut()
    info: dict = {}
    try:
        step("核对校验值")
        with opened(path) as (directory, info):
            created = _created(info)
            shown = f"{timezone.localtime(created):%Y-%m-%d %H:%M:%S}" if created else info.get("created", "?")
            out.lines.append(f"校验值一致：{len(info.get('files', {}))} 个文件（备份于 {shown}）")
            with scratch_database(info["database"]) as target:
                step("恢复到临时数据库")
                restore_database(directory, info, target)
                step("核对行数")
                differences = count_differences(info, target)
                out.lines += [f"行数不符：{d}" for d in differences] or [
                    f"关键表行数与清单一致（{sum(info.get('row_counts', {}).values())} 行）"]
                step("核对账簿与审计链")
                passed = [_run_check(label, args, target, out.lines) for label, args in CHECKS]
        out.ok = not differences and all(passed)
    except ValidationFailed as exc:
        out.lines.append(f"校验未通过：{exc.message}")
    step("登记校验结果")
    out.record = _record(path, info, out)
    return out


def _run_check(label: str, args: list[str], target: Target, lines: list[str]) -> bool:
    env = {**os.environ, "DATABASE_URL": target.url()}
    env.setdefault("DJANGO_SETTINGS_MODULE", settings.SETTINGS_MODULE or "config.settings.dev")
    done = subprocess.run([sys.executable, "-m", "nrcms.cli", *args], env=env, capture_output=True, text=True,
                          cwd=str(settings.BASE_DIR))
    # the verdict is the command's last line: stdout when it passes, the CommandError on stderr when not
    text = (done.stdout if done.returncode == 0 else done.stderr or done.stdout).strip().splitlines()
    last = text[-1].strip() if text else ""
    lines.append(f"{label}：{'通过' if done.returncode == 0 else '未通过'}" + (f" — {last}" if last else ""))
    return done.returncode == 0


class scratch_database:  # noqa: N801 — used as a context manager, reads like one
    """A database that exists only for the verification."""

    def __init__(self, vendor: str):
        self.vendor = vendor

    def __enter__(self) -> Target:
        if self.vendor == "sqlite":
            self.tmp = tempfile.TemporaryDirectory(prefix="nrcms-verify-")
            return Target(vendor="sqlite", name=str(Path(self.tmp.name) / "scratch.sqlite3"))
        if connection.vendor != "postgresql":
            raise ValidationFailed("invalid", "PostgreSQL 备份须在使用 PostgreSQL 的系统上校验（需要临时建库）",
                                   field="path")
        self.db = dict(connection.settings_dict)
        self.name = f"nrcms_verify_{secrets.token_hex(4)}"
        pg.create_database(self.db, self.name)
        return Target(vendor="postgresql", name=self.name, db=self.db)

    def __exit__(self, *exc) -> None:
        if self.vendor == "sqlite":
            self.tmp.cleanup()
        else:
            pg.drop_database(self.db, self.name)


def _record(path: Path, info: dict, out: VerifyOut) -> BackupRecord:
    digest = manifest.sha256_file(path) if path.is_file() else (
        manifest.sha256_file(path / manifest.SUMS) if (path / manifest.SUMS).is_file() else "")
    now = timezone.now()
    with transaction.atomic():
        record, _ = BackupRecord.objects.update_or_create(path=str(path), defaults={
            "database_vendor": info.get("database", ""), "size_bytes": backup_size(path) if path.exists() else 0,
            "sha256": digest, "verified_at": now, "verify_ok": out.ok, "verify_message": out.message[:4000]},
            create_defaults={"created_at": _created(info) or now, "database_vendor": info.get("database", ""),
                             "size_bytes": backup_size(path) if path.exists() else 0, "sha256": digest,
                             "verified_at": now, "verify_ok": out.ok, "verify_message": out.message[:4000]})
        audit_record(actor=None, action="ops.backup_verify", obj=record,
                     after={"ok": out.ok, "sha256": digest, "result": out.lines})
    return record


def _created(info: dict) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(info["created"])
    except (KeyError, TypeError, ValueError):
        return None

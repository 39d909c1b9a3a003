"""What the admin page and the API show about backups."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.services import require

from .models import BackupRecord


@dataclass(frozen=True)
class BackupStatus:
    backups: list[BackupRecord]
    last_verified: BackupRecord | None  # the newest backup whose verification passed
    last_attempt: BackupRecord | None  # the newest verification, passed or not
    max_days: int
    warning: str  # "" when a backup passed verification within max_days


def backup_status(*, actor: User, limit: int = 50, now: dt.datetime | None = None) -> BackupStatus:
    require(actor, Cap.SYSTEM_BACKUP)
    now = now or timezone.now()
    max_days = settings.NRCMS_BACKUP_VERIFY_MAX_DAYS
    verified = BackupRecord.objects.filter(verified_at__isnull=False)
    last_verified = verified.filter(verify_ok=True).order_by("-verified_at").first()
    last_attempt = verified.order_by("-verified_at").first()
    if last_verified is None:
        warning = "还没有任何通过校验的备份：请确认每天的备份和校验任务（cron）在运行"
    elif last_verified.verified_at < now - dt.timedelta(days=max_days):
        age = (now - last_verified.verified_at).days
        warning = (f"最近一次通过校验的备份是 {age} 天前（{timezone.localtime(last_verified.verified_at):%Y-%m-%d %H:%M}），"
                   f"超过了 {max_days} 天：请检查备份和校验任务")
    else:
        warning = ""
    if not warning and last_attempt is not None and last_attempt.verify_ok is False:
        warning = f"最近一次备份校验未通过（{last_attempt.path}），请查看校验结果"
    return BackupStatus(backups=list(BackupRecord.objects.all()[:limit]), last_verified=last_verified,
                        last_attempt=last_attempt, max_days=max_days, warning=warning)

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema

from nrcms.accounts.roles import Cap
from nrcms.api.auth import requires
from nrcms.api.base import ERRORS

from .selectors import backup_status

router = Router(tags=["运行维护"], auth=requires(Cap.SYSTEM_BACKUP))


class BackupOut(Schema):
    path: str
    database_vendor: str
    size_bytes: int
    sha256: str
    created_at: dt.datetime
    verified_at: dt.datetime | None
    verify_ok: bool | None
    verify_message: str


class BackupStatusOut(Schema):
    last_verified: BackupOut | None
    last_attempt: BackupOut | None
    max_days: int
    warning: str
    backups: list[BackupOut]


@router.get("/backups", response={200: BackupStatusOut, **ERRORS},
            summary="备份及其校验情况（只读；备份由 nrcms backup 生成，nrcms backup verify 校验）")
def backups(request):
    s = backup_status(actor=request.user)
    return {"last_verified": s.last_verified, "last_attempt": s.last_attempt, "max_days": s.max_days,
            "warning": s.warning, "backups": s.backups}

"""The admin's backup page and its API: the last verified backup, and a warning when none passed recently."""

import datetime as dt

import pytest
from django.utils import timezone

from nrcms.ops.models import BackupRecord

pytestmark = pytest.mark.django_db


def record(name: str, *, days_ago: float, ok: bool | None, size: int = 4_415_297) -> BackupRecord:
    at = timezone.now() - dt.timedelta(days=days_ago)
    return BackupRecord.objects.create(
        path=f"/srv/nrcms/var/backups/{name}", database_vendor="postgresql", size_bytes=size, sha256="ab" * 32,
        created_at=at - dt.timedelta(minutes=5), verified_at=None if ok is None else at, verify_ok=ok,
        verify_message="账簿核对（nrcms ledger check）：通过" if ok else "校验未通过：备份文件 database.dump 的 SHA-256 校验值与记录不符")


def test_page_shows_the_last_verified_backup_and_no_warning_when_recent(client, login, settings):
    settings.NRCMS_BACKUP_VERIFY_MAX_DAYS = 7
    record("nrcms-old", days_ago=3, ok=True, size=1024)
    record("nrcms-new", days_ago=1, ok=True)
    record("nrcms-unverified", days_ago=0.1, ok=None)
    login("admin")
    page = client.get("/ops/backups/").content.decode()
    assert 'data-testid="backup-warning"' not in page
    last = page.split('data-testid="last-verified"')[1].split("</table>")[0]
    assert "nrcms-new" in last and "4.2" in last and "通过" in last  # 4,415,297 bytes shown as 4.2 MB
    assert page.count("<tr><td class=\"nowrap\">") == 3 and "未校验" in page


def test_page_warns_when_no_backup_passed_verification_within_n_days(client, login, settings):
    settings.NRCMS_BACKUP_VERIFY_MAX_DAYS = 7
    login("admin")
    assert "还没有任何通过校验的备份" in client.get("/ops/backups/").content.decode()
    record("nrcms-old", days_ago=9, ok=True)
    page = client.get("/ops/backups/").content.decode()
    assert "最近一次通过校验的备份是 9 天前" in page and "超过了 7 天" in page
    record("nrcms-bad", days_ago=0.5, ok=False)
    record("nrcms-good", days_ago=1, ok=True)
    page = client.get("/ops/backups/").content.decode()
    assert "最近一次备份校验未通过（/srv/nrcms/var/backups/nrcms-bad）" in page


def test_only_the_system_admin_sees_backups_page_menu_and_api(client, login):
    record("nrcms-a", days_ago=1, ok=True)
    login("admin")
    assert 'data-menu="backup_list"' in client.get("/").content.decode()
    body = client.get("/api/ops/backups").json()
    assert body["last_verified"]["path"].endswith("nrcms-a") and body["warning"] == "" and body["max_days"] >= 1
    assert len(body["backups"]) == 1 and body["backups"][0]["verify_ok"] is True
    for username in ("reviewer", "ganting", "desk_county"):
        login(username)
        assert client.get("/ops/backups/").status_code == 403
        assert client.get("/api/ops/backups").status_code == 403
        assert "/ops/backups/" not in client.get("/").content.decode()

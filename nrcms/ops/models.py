"""Operations: what the system knows about its own backups."""

from django.db import models


class BackupRecord(models.Model):
    """One backup written by `nrcms backup` (a directory or a .tar under BACKUP_DIR) and the result of its last
    verification (`nrcms backup verify`: restored into a scratch database, books and audit chain checked)."""

    path = models.CharField("备份位置", max_length=500, unique=True)
    database_vendor = models.CharField("数据库", max_length=20)
    size_bytes = models.BigIntegerField("大小（字节）", default=0)
    sha256 = models.CharField("SHA-256", max_length=64)  # of the .tar, or of manifest.json for a directory
    created_at = models.DateTimeField("备份时间")
    verified_at = models.DateTimeField("校验时间", null=True, blank=True)
    verify_ok = models.BooleanField("校验通过", null=True)
    verify_message = models.TextField("校验结果", blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "备份"
        verbose_name_plural = "备份"

    def __str__(self) -> str:
        return self.path

    @property
    def verify_label(self) -> str:
        if self.verify_ok is None:
            return "未校验"
        return "通过" if self.verify_ok else "未通过"

"""Two-step sign-in: one TOTP device per account and its single-use recovery codes (see two_factor.py).

The device's secret is stored as base32 text: whoever can read this table can compute the account's codes, so
it is protected like the rest of the database (access control on the database, its backups and their copies);
the password hashes beside it are the reason those are already guarded."""

from django.db import models


class TotpDevice(models.Model):
    """An authenticator app bound to one account. Unconfirmed until the user has typed one code from it; only
    a confirmed device is asked for at sign-in."""

    user = models.OneToOneField("accounts.User", verbose_name="用户", on_delete=models.CASCADE,
                                related_name="totp_device")
    secret = models.CharField("密钥", max_length=64)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    confirmed_at = models.DateTimeField("启用时间", null=True, blank=True)
    # The 30-second step of the last code accepted: a code of that step or an earlier one is refused (replay).
    last_used_step = models.BigIntegerField("最近使用的时间步", default=0)

    class Meta:
        verbose_name = "两步验证设备"
        verbose_name_plural = "两步验证设备"

    def __str__(self) -> str:
        return f"{self.user.username} 的验证器{'（已启用）' if self.confirmed_at else '（待确认）'}"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(models.Model):
    """One single-use recovery code, kept only as its salted SHA-256 (the code is shown once, at creation)."""

    user = models.ForeignKey("accounts.User", verbose_name="用户", on_delete=models.CASCADE,
                             related_name="recovery_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    used_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        verbose_name = "恢复码"
        verbose_name_plural = "恢复码"

    def __str__(self) -> str:
        return f"{self.user.username} 的恢复码{'（已使用）' if self.used_at else ''}"

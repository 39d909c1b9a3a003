from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from .roles import Role, capabilities_of


class User(AbstractUser):
    """A staff account bound to one jurisdiction: a region (county, township, village) or a facility."""

    display_name = models.CharField("姓名", max_length=40, blank=True)
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        "registry.Region", verbose_name="管辖区域", null=True, blank=True, on_delete=models.PROTECT,
        related_name="users",
    )
    facility = models.ForeignKey(
        "facilities.Facility", verbose_name="所属机构", null=True, blank=True, on_delete=models.PROTECT,
        related_name="users",
    )
    phone = models.CharField("电话", max_length=20, blank=True)
    # Set when an administrator resets the password: the temporary password opens only the password page.
    must_change_password = models.BooleanField("须修改密码", default=False)
    # When the password was last set (by its owner or an administrator): expiry counts from here.
    password_changed_at = models.DateTimeField("密码修改时间", default=timezone.now)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            models.CheckConstraint(
                name="user_bound_to_jurisdiction",
                condition=Q(is_superuser=True) | Q(role="hospital_desk", facility__isnull=False)
                | (~Q(role="hospital_desk") & Q(region__isnull=False, facility__isnull=True)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name or self.username}（{self.get_role_display()}）"

    @property
    def capabilities(self) -> frozenset[str]:
        return capabilities_of(self.role)

    def can(self, capability: str) -> bool:
        return self.is_active and capability in self.capabilities


class PasswordHistory(models.Model):
    """One password an account has had (its hash, never the password): the last NRCMS_PASSWORD_HISTORY are
    kept so that an old password cannot come back (accounts/passwords.py)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "历史密码"
        verbose_name_plural = "历史密码"

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"


class LoginAttempt(models.Model):
    """Every login try, kept for lockout and for auditors."""

    username = models.CharField(max_length=150, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    succeeded = models.BooleanField()
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.username} {'成功' if self.succeeded else '失败'} {self.at:%Y-%m-%d %H:%M}"


class LoginThrottle(models.Model):
    """Failed password checks counted for one (account, source address) pair, and for the account over all
    addresses (ip ""). Changed only under a row lock (select_for_update), so tries arriving in parallel are
    each counted: see accounts/login.py."""

    ACCOUNT = ""  # the ip of the row that counts the account's failures from every address

    username = models.CharField(max_length=150)
    ip = models.CharField(max_length=45, blank=True)
    failures = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["username", "ip"], name="one_login_throttle_per_account_and_address"),
        ]

    def __str__(self) -> str:
        return f"{self.username}@{self.ip or '全部地址'}：{self.failures}"


class RateCounter(models.Model):
    """Requests counted for one client (an API token or a signed-in user) of one rate-limited operation in a
    fixed window. Changed only under its row lock, so the limit holds across gunicorn workers: see
    accounts/rate_limit.py."""

    scope = models.CharField(max_length=40)  # the operation, e.g. "desk.lookup"
    key = models.CharField(max_length=80)  # the client: "token:<hash prefix>" or "user:<id>"
    window_start = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)
    refusal_recorded = models.BooleanField(default=False)  # the window's first refusal is audited, no more

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="one_rate_counter_per_scope_and_key")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}：{self.hits}"


class ApiToken(models.Model):
    """A machine client's credential (a hospital system). Only the SHA-256 of the key is stored."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField("用途", max_length=80)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField("到期时间")
    # The scope: the owner's facility or region when the token was made. The token works only while the owner
    # is still bound there (a desk moved to another hospital does not take its hospital system's token along).
    facility = models.ForeignKey("facilities.Facility", verbose_name="绑定机构", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey("registry.Region", verbose_name="绑定区划", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    revoke_reason = models.CharField("吊销原因", max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}…）"


class AuditEntry(models.Model):
    """One change, appended on purpose by a service. Each row's hash covers its content and the previous
    row's hash, so altering or deleting any row breaks the chain from there on."""

    seq = models.BigAutoField(primary_key=True)
    at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(User, verbose_name="操作人", null=True, blank=True, on_delete=models.PROTECT)
    actor_username = models.CharField("操作人账号", max_length=150, blank=True)
    actor_role = models.CharField("操作人角色", max_length=20, blank=True)
    action = models.CharField("操作", max_length=60, db_index=True)
    object_type = models.CharField("对象类型", max_length=60, db_index=True, blank=True)
    object_id = models.CharField("对象编号", max_length=64, db_index=True, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    region_code = models.CharField("所属区划", max_length=15, db_index=True, blank=True)
    facility_code = models.CharField("所属机构", max_length=20, db_index=True, blank=True)
    before = models.JSONField("变更前", null=True, blank=True)
    after = models.JSONField("变更后", null=True, blank=True)
    authority = models.CharField("依据/批准", max_length=200, blank=True)
    reason = models.CharField("原因", max_length=500, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-seq"]
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("审计记录只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("审计记录只能追加，不能删除")


class AuditChainHead(models.Model):
    """A single row locked while appending, so concurrent writers chain one after another."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"审计链尾 #{self.last_seq}"


class AuditArchive(models.Model):
    """One archive run: rows first_seq..last_seq were exported to a file and removed. The latest run is the
    chain's start marker: verification continues at last_seq + 1 from last_hash. Signed with the audit key,
    so a marker moved to hide removed rows does not verify."""

    first_seq = models.BigIntegerField("起始序号")
    last_seq = models.BigIntegerField("截止序号", unique=True)
    last_hash = models.CharField("截止哈希", max_length=64)
    before = models.DateField("归档截止日期")
    at = models.DateTimeField("归档时间")
    file_name = models.CharField("归档文件", max_length=200)
    file_sha256 = models.CharField("文件 SHA-256", max_length=64)
    signature = models.CharField("签名", max_length=64)

    class Meta:
        ordering = ["-last_seq"]
        verbose_name = "审计记录归档"
        verbose_name_plural = "审计记录归档"

    def __str__(self) -> str:
        return f"审计归档 #{self.first_seq}–#{self.last_seq}"


class AccountChangeRequest(models.Model):
    """A second administrator's approval (双人复核): an account whose role reviews, approves or pays out is
    created disabled, and such a role or its jurisdiction is given, only when a different administrator —
    never the requester, never the account itself — approves. Such an account's password or two-step sign-in
    is reset the same way, so one administrator cannot take over an existing reviewer either."""

    class Kind(models.TextChoices):
        CREATE = "create", "新建账号"
        CHANGE = "change", "变更角色或辖区"
        RESET_PASSWORD = "reset_pw", "重置密码"
        RESET_TWO_FACTOR = "reset_2fa", "重置两步验证"

    class Status(models.TextChoices):
        PENDING = "pending", "待审批"
        APPROVED = "approved", "已批准"
        REJECTED = "rejected", "已驳回"

    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    target = models.ForeignKey(User, verbose_name="账号", on_delete=models.PROTECT, related_name="change_requests")
    role = models.CharField("申请的角色", max_length=20, choices=Role.choices)
    region = models.ForeignKey("registry.Region", verbose_name="申请的管辖区域", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    facility = models.ForeignKey("facilities.Facility", verbose_name="申请的所属机构", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(User, verbose_name="申请人", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    reason = models.CharField("申请原因", max_length=500, blank=True)
    authority = models.CharField("依据", max_length=200, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(User, verbose_name="审批人", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_reason = models.CharField("审批意见", max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = "账号变更申请"
        verbose_name_plural = "账号变更申请"
        constraints = [
            models.UniqueConstraint(fields=["target"], condition=Q(status="pending"),
                                    name="one_pending_request_per_account"),
            models.CheckConstraint(name="request_decided_by_another",
                                   condition=Q(decided_by__isnull=True)
                                   | (~Q(decided_by=F("requested_by")) & ~Q(decided_by=F("target")))),
            models.CheckConstraint(name="request_decided_when_not_pending",
                                   condition=Q(status="pending", decided_by__isnull=True)
                                   | (~Q(status="pending") & Q(decided_by__isnull=False))),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.target.username} → {self.get_role_display()}（{self.get_status_display()}）"
from .models_two_factor import RecoveryCode, TotpDevice  # noqa: E402,F401 — the app's models, kept in their own module

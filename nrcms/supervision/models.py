"""Supervision records: the monthly audit runs, the hits the rules raised (with their evidence), the review
decisions taken on them, and each facility's sampling rate for warn-level hits."""

from django.db import models
from django.db.models import Q


class RunStatus(models.TextChoices):
    RUNNING = "running", "运行中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class AuditRun(models.Model):
    """月度批量审核: every active settlement settled in one month, run through the rules in force."""

    month = models.DateField("审核月份", help_text="该月第一天")
    status = models.CharField("状态", max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    total = models.PositiveIntegerField("结算笔数", default=0)
    processed = models.PositiveIntegerField("已审核", default=0)
    hits_found = models.PositiveIntegerField("发现疑点", default=0)
    hits_new = models.PositiveIntegerField("新增疑点", default=0)
    rules_file = models.CharField("规则文件", max_length=60, blank=True)
    seconds = models.DecimalField("用时（秒）", max_digits=8, decimal_places=2, null=True, blank=True)
    error = models.CharField("错误", max_length=300, blank=True)
    started_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="发起人")
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.get_status_display()}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(self.processed * 100 / self.total)


class Severity(models.TextChoices):
    WARN = "warn", "提示"
    BLOCK = "block", "拒绝"


class HitStage(models.TextChoices):
    SETTLE = "settle", "窗口结算"
    BATCH = "batch", "月度批量审核"


class HitStatus(models.TextChoices):
    OPEN = "open", "待审核"
    REFERRED = "referred", "专家评审中"
    AWAITING_SECOND = "awaiting_second", "待复核"
    DECIDED = "decided", "已处理"


class AuditHit(models.Model):
    """One rule hit on one settled episode, with its evidence. `in_queue`: block-level hits always, warn-level
    hits as sampled by the facility's rate when the hit was raised."""

    rule_code = models.CharField("规则编码", max_length=20)
    rule_name = models.CharField("规则名称", max_length=40)
    rule_version = models.CharField("规则版本", max_length=16)
    severity = models.CharField("级别", max_length=6, choices=Severity.choices)
    stage = models.CharField("发现环节", max_length=8, choices=HitStage.choices)
    key = models.CharField("疑点标识", max_length=60, blank=True)
    message = models.CharField("疑点说明", max_length=500)
    evidence = models.JSONField("证据")
    episode = models.ForeignKey("claims.Episode", on_delete=models.PROTECT, related_name="audit_hits")
    settlement = models.ForeignKey("claims.Settlement", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="audit_hits", verbose_name="结算单")
    facility = models.ForeignKey("facilities.Facility", on_delete=models.PROTECT, related_name="audit_hits")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="audit_hits")
    month = models.DateField("结算月份")
    run = models.ForeignKey(AuditRun, null=True, blank=True, on_delete=models.PROTECT, related_name="hits")
    in_queue = models.BooleanField("进入审核队列", default=True)
    status = models.CharField("状态", max_length=16, choices=HitStatus.choices, default=HitStatus.OPEN)
    created_at = models.DateTimeField("发现时间", auto_now_add=True)

    class Meta:
        ordering = ["-month", "facility_id", "rule_code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rule_code", "episode", "key"], name="one_hit_per_rule_episode_key"),
        ]
        indexes = [models.Index(fields=["month", "facility", "rule_code"], name="hit_month_facility_rule")]

    def __str__(self) -> str:
        return f"{self.rule_code} {self.episode_id}"


class DecisionKind(models.TextChoices):
    ACCEPT = "accept", "认可（无违规）"
    DEDUCT = "deduct", "违规扣款"
    REFER = "refer", "提交专家评审"
    REFUND = "refund", "退还患者"


class DecisionStatus(models.TextChoices):
    DONE = "done", "已办结"
    AWAITING_SECOND = "awaiting_second", "待第二审核员复核"
    PENDING_STATEMENT = "pending_statement", "待计入月结算单"
    APPLIED = "applied", "已计入月结算单"
    REFUND_PENDING = "refund_pending", "待退还"


class ReviewDecision(models.Model):
    """A reviewer's decision on a hit, with a reason. A deduction is base × multiplier, becomes a
    StatementDeduction of the facility's statement (the next open one when the month's is approved), and above
    the rules file's threshold needs a second reviewer before it takes effect."""

    hit = models.ForeignKey(AuditHit, on_delete=models.PROTECT, related_name="decisions")
    kind = models.CharField("处理意见", max_length=8, choices=DecisionKind.choices)
    reason = models.CharField("理由", max_length=300)
    violation_kind = models.CharField("违规性质", max_length=8, blank=True)
    base_amount = models.DecimalField("违规金额", max_digits=14, decimal_places=2, null=True, blank=True)
    multiplier = models.DecimalField("倍数", max_digits=4, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField("金额", max_digits=14, decimal_places=2, null=True, blank=True)
    status = models.CharField("状态", max_length=20, choices=DecisionStatus.choices)
    decided_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name="审核人")
    decided_at = models.DateTimeField("审核时间", auto_now_add=True)
    confirmed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name="复核人")
    confirmed_at = models.DateTimeField("复核时间", null=True, blank=True)
    deduction = models.OneToOneField("payments.StatementDeduction", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="review_decision", verbose_name="违规扣款记录")
    refund = models.OneToOneField("payments.PatientRefund", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="review_decision", verbose_name="患者返还记录")

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(name="decision_reason_required", condition=~Q(reason="")),
            models.CheckConstraint(name="decision_deduct_has_amounts",
                                   condition=~Q(kind="deduct") | Q(base_amount__gt=0, multiplier__isnull=False,
                                                                   amount__gt=0)),
            models.CheckConstraint(name="decision_refund_has_amount",
                                   condition=~Q(kind="refund") | Q(amount__gt=0)),
            models.CheckConstraint(name="decision_second_reviewer_differs",
                                   condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=models.F("decided_by"))),
        ]

    def __str__(self) -> str:
        return f"{self.hit_id} {self.kind}"


class SamplingRate(models.Model):
    """抽查比例: the share of a facility's warn-level hits that enter the review queue (block-level: all)."""

    facility = models.OneToOneField("facilities.Facility", on_delete=models.PROTECT, related_name="sampling_rate")
    rate = models.DecimalField("抽查比例", max_digits=5, decimal_places=4)
    reason = models.CharField("调整理由", max_length=300)
    set_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField("设置时间", auto_now=True)

    class Meta:
        ordering = ["facility__code"]
        constraints = [
            models.CheckConstraint(name="sampling_rate_between_0_and_1", condition=Q(rate__gte=0, rate__lte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.rate}"

"""A simulation run (测算) started from the page or the API: who asked, with which schemes, episodes and
assumptions, how far it has got, and its result (the side-by-side outcomes and the projection, as JSON)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class RunStatus(models.TextChoices):
    PENDING = "pending", "排队中"
    RUNNING = "running", "计算中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class SimulationRun(models.Model):
    created_by = models.ForeignKey("accounts.User", verbose_name="发起人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("发起时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING)
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    step = models.CharField("当前步骤", max_length=200, blank=True)
    inputs = models.JSONField("测算条件")
    episodes_file = models.FileField("就诊数据文件", upload_to="simulation/%Y/", blank=True)
    result = models.JSONField("测算结果", null=True, blank=True)
    message = models.CharField("说明", max_length=500, blank=True)
    # the background task's sign of life: set when it starts and with every progress step; a run that shows
    # none for NRCMS_SIMULATION_STALE_MINUTES is taken for dead (its worker was killed) and marked failed when read
    heartbeat_at = models.DateTimeField("最近进度时间", null=True, blank=True)
    retry_of = models.ForeignKey("self", verbose_name="重新计算自", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="retries")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "方案测算"
        verbose_name_plural = "方案测算"
        constraints = [
            models.CheckConstraint(name="simulation_progress_within_100", condition=Q(progress__lte=100)),
        ]

    def __str__(self) -> str:
        return f"测算 {self.pk}（{self.get_status_display()}）"

    @property
    def running(self) -> bool:
        return self.status in (RunStatus.PENDING, RunStatus.RUNNING)

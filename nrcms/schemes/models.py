"""The county's benefit schemes as managed records: each SchemeVersion is one validated scheme file, assigned
to a pooling region (the county) and a scheme year, that goes draft → checked → simulated → approved and then
settles every episode whose date (by the file's date rule) falls on or after its `effective_from`, until a
later approved version takes over. The file text is kept verbatim with its SHA-256; nothing is ever edited:
a change is a new upload."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class SchemeStatus(models.TextChoices):
    DRAFT = "draft", "未通过校验"
    CHECKED = "checked", "已校验"
    SIMULATED = "simulated", "已模拟测算"
    APPROVED = "approved", "已批准"


class DateRule(models.TextChoices):
    DISCHARGE = "discharge", "出院日期"
    ADMISSION = "admission", "入院日期"


class SchemeVersion(models.Model):
    region = models.ForeignKey("registry.Region", on_delete=models.PROTECT, related_name="scheme_versions",
                               verbose_name="统筹地区")
    year = models.PositiveSmallIntegerField("方案年度")
    label = models.CharField("版本名称", max_length=100)
    scheme_id = models.CharField("方案代码", max_length=60, blank=True)
    scheme_name = models.CharField("方案名称", max_length=200, blank=True)
    file_name = models.CharField("文件名", max_length=200, blank=True)
    content = models.TextField("方案文件内容")
    sha256 = models.CharField("文件 SHA-256", max_length=64)
    parsed_ok = models.BooleanField("校验通过", default=False)
    check_errors = models.JSONField("校验问题", default=list, blank=True)
    date_rule = models.CharField("选版本依据", max_length=10, choices=DateRule.choices, default=DateRule.DISCHARGE)
    status = models.CharField("状态", max_length=12, choices=SchemeStatus.choices, default=SchemeStatus.DRAFT)
    effective_from = models.DateField("生效日期")
    simulation = models.JSONField("模拟测算结果", default=dict, blank=True)
    simulation_run = models.CharField("模拟测算批次", max_length=100, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="上传人")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="批准人")
    authority = models.CharField("批准依据", max_length=200, blank=True)
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    checked_at = models.DateTimeField("校验时间", null=True, blank=True)
    simulated_at = models.DateTimeField("测算时间", null=True, blank=True)
    approved_at = models.DateTimeField("批准时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "补偿方案版本"
        ordering = ["-effective_from", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(approved_by=F("uploaded_by")), name="scheme_approver_not_uploader"),
            models.CheckConstraint(condition=Q(status="approved", approved_by__isnull=False, approved_at__isnull=False)
                                   | ~Q(status="approved"), name="approved_scheme_names_its_approver"),
            models.UniqueConstraint(fields=["region", "effective_from"], condition=Q(status="approved"),
                                    name="one_approved_scheme_per_region_and_date"),
        ]

    def __str__(self) -> str:
        return f"{self.label}（{self.year} 年度，{self.effective_from} 起）"

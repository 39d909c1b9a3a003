"""健康扶贫 (domain §12, issue 14): the poverty office's lists as they were imported, and the records of one
file per patient (一人一档一案) that are not settlements or categories — follow-ups and treatment plans. The
categories themselves live in the registry (PersonCategory), changed only through its services."""

from django.db import models
from django.db.models import Q


class PovertyImport(models.Model):
    """One import of the poverty office's list: which file (by SHA-256), its as-of date, who, and the report.
    The same file imported again is found by its hash and changes nothing."""

    file_name = models.CharField("文件名", max_length=200)
    file_hash = models.CharField("文件 SHA-256", max_length=64, unique=True)
    as_of = models.DateField("名单日期")
    created_by = models.ForeignKey("accounts.User", verbose_name="导入人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("导入时间", auto_now_add=True)
    rows_total = models.PositiveIntegerField("数据行数", default=0)
    matched = models.PositiveIntegerField("匹配人数", default=0)
    changed = models.PositiveIntegerField("类别变更人数", default=0)
    unchanged = models.PositiveIntegerField("无变化人数", default=0)
    unmatched = models.PositiveIntegerField("未匹配行数", default=0)
    invalid = models.PositiveIntegerField("无效行数", default=0)
    problems = models.JSONField("问题行", default=list)  # [{"row", "id_number", "name", "village", "status", "reason"}]

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "贫困人口名单导入"
        verbose_name_plural = "贫困人口名单导入"
        constraints = [
            models.CheckConstraint(name="poverty_import_rows_add_up",
                                   condition=Q(rows_total=models.F("matched") + models.F("unmatched")
                                               + models.F("invalid"))),
        ]

    def __str__(self) -> str:
        return f"{self.file_name}（{self.as_of}）"


class FollowUpKind(models.TextChoices):
    VISIT = "visit", "入户随访"
    PHONE = "phone", "电话随访"
    CLINIC = "clinic", "门诊复查"
    CONCENTRATED = "concentrated", "大病集中救治"
    HOME_BED = "home_bed", "家庭病床"
    OTHER = "other", "其他"


class FollowUp(models.Model):
    """A follow-up of a registered-poor patient (大病患者随访记录): when, how, what was found, by whom."""

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="poverty_follow_ups")
    date = models.DateField("随访日期")
    kind = models.CharField("随访方式", max_length=16, choices=FollowUpKind.choices)
    note = models.CharField("随访情况", max_length=500)
    recorded_by = models.ForeignKey("accounts.User", verbose_name="记录人", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        ordering = ["person", "-date", "-id"]
        verbose_name = "随访记录"
        verbose_name_plural = "随访记录"

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class TreatmentPlan(models.Model):
    """The treatment plan (一案) as dated text; a new plan is a new row, the earlier ones stay."""

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="poverty_plans")
    date = models.DateField("制定日期")
    text = models.CharField("治疗方案", max_length=1000)
    recorded_by = models.ForeignKey("accounts.User", verbose_name="记录人", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        ordering = ["person", "-date", "-id"]
        verbose_name = "治疗方案"
        verbose_name_plural = "治疗方案"

    def __str__(self) -> str:
        return f"{self.date} 治疗方案"

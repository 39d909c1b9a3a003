"""A published disclosure (公示): who published which month for which region (the county, or one township and
so all its villages). The lists themselves are read from the settlements when asked; only a published month of
a region is shown on the public page."""

from __future__ import annotations

from django.db import models


class Publication(models.Model):
    month = models.DateField("公示月份", help_text="该月第一天")
    region = models.ForeignKey("registry.Region", on_delete=models.PROTECT, related_name="+", verbose_name="公示范围")
    published_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name="发布人")
    published_at = models.DateTimeField("发布时间", auto_now_add=True)
    patients = models.PositiveIntegerField("公示人次", default=0)
    reimbursed = models.DecimalField("公示补偿合计", max_digits=14, decimal_places=2, default=0)

    class Meta:
        ordering = ["-month", "region__code"]
        verbose_name = "公示发布记录"
        verbose_name_plural = "公示发布记录"
        constraints = [
            models.UniqueConstraint(fields=["month", "region"], name="one_publication_per_month_and_region"),
            # (the month is its first day: the service sets it; no CHECK using a date function, which SQLite would
            # store as Django's django_date_extract and a plain sqlite3 restore of a backup could not read)
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.region_id}"

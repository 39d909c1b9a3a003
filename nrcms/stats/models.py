"""The fund's plan for a scheme year (基金年度支出计划), set by the county office and audited: which share of
the year's expected income it plans to spend, how far ahead of the calendar the spending may run before the
director's dashboard raises an alert, and the facilities' drug-share ceiling (药占比上限, 户县 ≤ 45 % a month).
A year without a row uses the defaults below (shown as “默认” on the dashboard)."""

from decimal import Decimal

from django.db import models
from django.db.models import Q

DEFAULT_PLANNED_SHARE = Decimal("90.00")  # 以收定支: plan to spend 90 % of the year's expected income
DEFAULT_AHEAD_MARGIN = Decimal("5.00")  # percentage points ahead of the elapsed share of the year
DEFAULT_DRUG_SHARE_LIMIT = Decimal("45.00")  # domain §8: drug share ≤ 45 % a month (户县)


def _percent(label: str, default: Decimal):
    return models.DecimalField(label, max_digits=5, decimal_places=2, default=default)


class FundPlan(models.Model):
    scheme_year = models.PositiveSmallIntegerField("年度", unique=True)
    planned_share = _percent("计划支出占预计收入比例（%）", DEFAULT_PLANNED_SHARE)
    ahead_margin = _percent("超进度预警幅度（百分点）", DEFAULT_AHEAD_MARGIN)
    drug_share_limit = _percent("药占比上限（%）", DEFAULT_DRUG_SHARE_LIMIT)
    authority = models.CharField("依据", max_length=200)
    set_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField("设定时间", auto_now=True)

    class Meta:
        ordering = ["-scheme_year"]
        constraints = [
            models.CheckConstraint(name="fund_plan_shares_in_range",
                                   condition=Q(planned_share__gt=0, planned_share__lte=100, ahead_margin__gte=0,
                                               ahead_margin__lte=100, drug_share_limit__gt=0,
                                               drug_share_limit__lte=100)),
        ]

    def __str__(self) -> str:
        return f"{self.scheme_year} 年度基金支出计划"

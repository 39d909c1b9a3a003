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


class FactSource(models.TextChoices):
    DESK = "desk", "即时结报（含冲正行）"
    PAID = "paid", "手工报销支付"
    REVERSED = "reversed", "手工报销冲正"


class SettlementFact(models.Model):
    """One row per settlement row the statistics count (nrcms/stats/facts.py): a desk settlement or desk
    reversal, a manual claim's payment and a manual claim's reversal, on the local day it counts on, with the
    sign it counts with and its amounts already signed, in whole fen. Narrow and without joins to the household
    and region, so that every county statistic is a scan of these rows. Written by the same writers as the rows
    it mirrors, in the same transaction; `nrcms stats rebuild-summaries` recomputes it and the books check
    compares it with the raw rows."""

    source = models.CharField("来源", max_length=8, choices=FactSource.choices)
    row_id = models.BigIntegerField("结算单或报销单编号（内部）")
    day = models.DateField("计入日期")
    sign = models.SmallIntegerField("人次符号")
    episode_id = models.BigIntegerField("就诊（内部编号）")
    person_id = models.BigIntegerField("参合人（内部编号）")
    region_code = models.CharField("家庭所在行政区划代码", max_length=15)
    facility = models.ForeignKey("facilities.Facility", on_delete=models.PROTECT, related_name="+",
                                 verbose_name="医疗机构", db_constraint=False)
    episode_kind = models.CharField("就诊类别", max_length=12)
    referred = models.BooleanField("转诊", default=False)
    total_cost_fen = models.BigIntegerField("总费用（分）")
    eligible_cost_fen = models.BigIntegerField("可报费用（分）")
    basic_fen = models.BigIntegerField("基本医疗补偿（分）")
    fixed_fee_fen = models.BigIntegerField("定额补偿（分）")
    subsidy_fen = models.BigIntegerField("补助（分）")
    family_account_fen = models.BigIntegerField("家庭账户（分）")
    catastrophic_fen = models.BigIntegerField("大病保险（分）")
    assistance_fen = models.BigIntegerField("医疗救助（分）")
    safety_net_fen = models.BigIntegerField("兜底保障（分）")
    fund_total_fen = models.BigIntegerField("各项补偿合计（分）")
    self_pay_fen = models.BigIntegerField("个人自付（分）")
    facility_borne_fen = models.BigIntegerField("医疗机构承担（分）")
    pooled_fen = models.BigIntegerField("统筹基金补偿（分）")
    stay_days = models.IntegerField("住院天数", null=True, blank=True)
    capped = models.BooleanField("受封顶线限制", default=False)
    drug_cost_fen = models.BigIntegerField("药品费用（分）", default=0)
    drug_lines = models.IntegerField("药品明细行数", default=0)

    class Meta:
        verbose_name = "结算事实"
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["source", "row_id"], name="settlement_fact_key")]
        indexes = [models.Index(fields=["day"], name="settlement_fact_day"),
                   models.Index(fields=["region_code", "day"], name="settlement_fact_region_day"),
                   models.Index(fields=["episode_id"], name="settlement_fact_episode")]

    def __str__(self) -> str:
        return f"{self.source} {self.row_id} {self.day}"

"""Paying the facilities: the monthly statement (月结算单) a facility is paid on, the violation deductions
(违规扣款) the county review takes off it, and the daily reconciliation (对账) of the facility's totals with
the system's. Amounts are copied from the settlements when the statement is generated and never change;
a reversal posted in a later month lands on that later month's statement as a negative line."""

from django.db import models
from django.db.models import Q

from nrcms.claims.models import LayerAmounts


def _money(label: str, **kw):
    return models.DecimalField(label, max_digits=14, decimal_places=2, default=0, **kw)


class StatementStatus(models.TextChoices):
    SUBMITTED = "submitted", "已生成待审核"
    IN_REVIEW = "in_review", "审核中"
    RETURNED = "returned", "已退回医院"
    APPROVED = "approved", "已审核待拨付"
    DISBURSED = "disbursed", "已拨付"


LAYERS = ("basic", "family_account", "fixed_fee", "subsidy", "catastrophic", "assistance", "safety_net")


class FacilityStatement(LayerAmounts):
    """月结算单: one facility, one calendar month, the settlements (and later reversals) settled in it."""

    number = models.CharField("结算单号", max_length=40, unique=True)
    facility = models.ForeignKey("facilities.Facility", on_delete=models.PROTECT, related_name="statements")
    month = models.DateField("结算月份", help_text="该月第一天")
    status = models.CharField("状态", max_length=12, choices=StatementStatus.choices,
                              default=StatementStatus.SUBMITTED)
    inpatient_count = models.IntegerField("住院人次", default=0)
    inpatient_total_cost = _money("住院总费用")
    inpatient_fund_total = _money("住院基金支付")
    outpatient_count = models.IntegerField("门诊人次", default=0)
    outpatient_total_cost = _money("门诊总费用")
    outpatient_fund_total = _money("门诊基金支付")
    reversal_count = models.IntegerField("跨月冲正笔数", default=0)
    deduction_total = _money("违规扣款合计")
    return_reason = models.CharField("退回原因", max_length=300, blank=True)
    returned_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name="退回人")
    returned_at = models.DateTimeField("退回时间", null=True, blank=True)
    resubmission_note = models.CharField("医院重新报送说明", max_length=300, blank=True)
    resubmitted_at = models.DateTimeField("重新报送时间", null=True, blank=True)
    approved_amount = models.DecimalField("审定应拨付", max_digits=14, decimal_places=2, null=True, blank=True)
    disbursed_amount = models.DecimalField("实际拨付", max_digits=14, decimal_places=2, null=True, blank=True)
    disbursement_reference = models.CharField("拨付凭证号", max_length=60, blank=True)
    disbursement_key = models.CharField("拨付幂等键", max_length=80, null=True, blank=True, unique=True)
    prepared_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name="生成人")
    prepared_at = models.DateTimeField("生成时间", auto_now_add=True)
    reviewed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name="审核人")
    reviewed_at = models.DateTimeField("开始审核时间", null=True, blank=True)
    approved_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name="审定人")
    approved_at = models.DateTimeField("审定时间", null=True, blank=True)
    disbursed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name="拨付人")
    disbursed_at = models.DateTimeField("拨付时间", null=True, blank=True)

    class Meta:
        ordering = ["-month", "facility__code"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "month"], name="one_statement_per_facility_month"),
            models.CheckConstraint(name="statement_deductions_not_negative", condition=Q(deduction_total__gte=0)),
            models.CheckConstraint(name="statement_approved_has_approver",
                                   condition=Q(status__in=["submitted", "in_review", "returned"])
                                   | Q(approved_by__isnull=False, approved_amount__isnull=False)),
            models.CheckConstraint(name="statement_returned_has_reason",
                                   condition=~Q(status="returned") | ~Q(return_reason="")),
            models.CheckConstraint(name="statement_disbursed_has_disburser",
                                   condition=~Q(status="disbursed")
                                   | Q(disbursed_by__isnull=False, disbursed_amount__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def net_payable(self):
        return self.fund_total - self.deduction_total


class StatementLine(models.Model):
    """One settlement (or reversal) on a statement. A settlement is paid on one statement only."""

    statement = models.ForeignKey(FacilityStatement, on_delete=models.PROTECT, related_name="lines")
    settlement = models.OneToOneField("claims.Settlement", on_delete=models.PROTECT, related_name="statement_line")

    class Meta:
        ordering = ["statement", "settlement__settled_at", "settlement_id"]

    def __str__(self) -> str:
        return f"{self.statement_id} {self.settlement_id}"


class ViolationKind(models.TextChoices):
    LOSS = "loss", "造成基金损失（1–2 倍）"
    FRAUD = "fraud", "欺诈骗保（2–5 倍）"


MULTIPLIER_RANGE = {ViolationKind.LOSS: ("1", "2"), ViolationKind.FRAUD: ("2", "5")}


class StatementDeduction(models.Model):
    """违规扣款: base amount × multiplier (the fund-supervision regulation's 1–2× or 2–5×), with a reason.
    Posted to the ledger (Dr 2201-机构 / Cr 3101) when the statement is approved. While the statement is in
    review a deduction can be withdrawn (with a reason); the row stays, marked, and no longer counts."""

    statement = models.ForeignKey(FacilityStatement, on_delete=models.PROTECT, related_name="deductions")
    settlement = models.ForeignKey("claims.Settlement", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name="涉及结算单")
    kind = models.CharField("违规性质", max_length=8, choices=ViolationKind.choices)
    base_amount = models.DecimalField("违规金额", max_digits=14, decimal_places=2)
    multiplier = models.DecimalField("倍数", max_digits=4, decimal_places=2)
    amount = models.DecimalField("扣款金额", max_digits=14, decimal_places=2)
    reason = models.CharField("扣款原因", max_length=300)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField("撤销时间", null=True, blank=True)
    withdrawn_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name="撤销人")
    withdrawal_reason = models.CharField("撤销原因", max_length=300, blank=True)

    class Meta:
        ordering = ["statement", "id"]
        constraints = [
            models.CheckConstraint(name="deduction_multiplier_in_range",
                                   condition=Q(kind="loss", multiplier__gte=1, multiplier__lte=2)
                                   | Q(kind="fraud", multiplier__gte=2, multiplier__lte=5)),
            models.CheckConstraint(name="deduction_reason_required", condition=~Q(reason="")),
            models.CheckConstraint(name="deduction_amounts_positive", condition=Q(base_amount__gt=0, amount__gt=0)),
            models.CheckConstraint(name="deduction_withdrawal_has_reason",
                                   condition=Q(withdrawn_at__isnull=True)
                                   | (Q(withdrawn_by__isnull=False) & ~Q(withdrawal_reason=""))),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id} {self.amount}"


class ReconciliationResult(models.TextChoices):
    MATCHED = "matched", "一致"
    MISMATCHED = "mismatched", "不一致"


class DailyReconciliation(models.Model):
    """对账: what the facility's finance office counted for one day against what the system holds. Each
    submission is kept; the latest for a day is the one that counts."""

    facility = models.ForeignKey("facilities.Facility", on_delete=models.PROTECT, related_name="reconciliations")
    date = models.DateField("对账日期")
    result = models.CharField("结果", max_length=12, choices=ReconciliationResult.choices)
    facility_totals = models.JSONField("机构合计")
    system_totals = models.JSONField("系统合计")
    differences = models.JSONField("差异", default=list)
    submitted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField("提交时间", auto_now_add=True)

    class Meta:
        ordering = ["-date", "-submitted_at", "-id"]
        indexes = [models.Index(fields=["facility", "date"], name="reconciliation_facility_day")]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.date} {self.result}"

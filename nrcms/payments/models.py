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
    recovery_total = _money("患者返还追回合计")
    family_doctor_fee_total = _money("家庭医生签约服务费",
                                     help_text="列入本单的家庭医生签约服务费（基金承担部分）合计，见 family_doctors")
    brought_forward = _money("上月结转扣款")
    carried_forward = _money("结转下月扣款")
    carried_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="carries",
                                     verbose_name="结转至月结算单")
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
            models.CheckConstraint(name="statement_family_doctor_fee_not_negative",
                                   condition=Q(family_doctor_fee_total__gte=0)),
            models.CheckConstraint(name="statement_carries_not_negative",
                                   condition=Q(recovery_total__gte=0, brought_forward__gte=0, carried_forward__gte=0)),
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
    def net_before_carry(self):
        """Claims and family-doctor fees less deductions, recoveries and what an earlier negative month carried
        in; may be negative."""
        return (self.fund_total + self.family_doctor_fee_total - self.deduction_total - self.recovery_total
                - self.brought_forward)

    @property
    def net_payable(self):
        """Never below zero: a negative month pays nothing and carries the rest into the next statement."""
        return max(self.net_before_carry, 0)

    @property
    def carry_estimate(self):
        return max(-self.net_before_carry, 0)


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


# --- refunds to patients (返还) and the one-stop window's advances (垫付申报) -------------------------------

class RefundReason(models.TextChoices):
    MISCALCULATION = "miscalculation", "计算错误"
    UNREASONABLE_CHARGE = "unreasonable_charge", "不合理收费"
    OTHER = "other", "其他"


class RefundStatus(models.TextChoices):
    RECORDED = "recorded", "已登记待追回"
    RECOVERED = "recovered", "已在月结算单追回待支付"
    PAID = "paid", "已支付给患者"


class PatientRefund(models.Model):
    """返还: money a patient paid out of pocket on a settlement that should not have been his — miscalculated or
    charged unreasonably. Recorded against the settlement (never more than the patient's own payment on it,
    less what was refunded already), recovered from the facility as a line of its monthly statement (the
    statement's approval posts Dr 2201-机构 / Cr 2202), then paid to the patient (Dr 2202 / Cr 1001)."""

    number = models.CharField("返还单号", max_length=30, unique=True)
    settlement = models.ForeignKey("claims.Settlement", on_delete=models.PROTECT, related_name="refunds",
                                   verbose_name="结算单")
    facility = models.ForeignKey("facilities.Facility", on_delete=models.PROTECT, related_name="refunds",
                                 verbose_name="医疗机构")
    amount = models.DecimalField("返还金额", max_digits=14, decimal_places=2)
    reason_kind = models.CharField("返还原因类别", max_length=20, choices=RefundReason.choices)
    reason = models.CharField("返还原因", max_length=300)
    authority = models.CharField("依据", max_length=200, blank=True,
                                 help_text="审核决定、稽查通知等文书编号")
    status = models.CharField("状态", max_length=10, choices=RefundStatus.choices, default=RefundStatus.RECORDED)
    statement = models.ForeignKey(FacilityStatement, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="refunds", verbose_name="追回所在月结算单")
    idempotency_key = models.CharField("幂等键", max_length=80, null=True, blank=True, unique=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+",
                                    verbose_name="登记人")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)
    paid_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                verbose_name="支付人")
    paid_at = models.DateTimeField("支付时间", null=True, blank=True)
    payment_reference = models.CharField("支付凭证号", max_length=60, blank=True)
    paid_key = models.CharField("支付幂等键", max_length=80, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(name="refund_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(name="refund_reason_required", condition=~Q(reason="")),
            models.CheckConstraint(name="refund_recovered_on_statement",
                                   condition=Q(status="recorded") | Q(statement__isnull=False)),
            models.CheckConstraint(name="refund_paid_has_payer",
                                   condition=~Q(status="paid") | Q(paid_by__isnull=False, paid_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.number


class AdvanceLayer(models.TextChoices):
    CATASTROPHIC = "catastrophic", "大病保险"
    ASSISTANCE = "assistance", "医疗救助"
    SAFETY_NET = "safety_net", "兜底保障"


ADVANCE_PAYERS = {AdvanceLayer.CATASTROPHIC: "承办大病保险的商业保险公司", AdvanceLayer.ASSISTANCE: "县民政局",
                  AdvanceLayer.SAFETY_NET: "县民政局（扶贫办）"}


class AdvanceClaimStatus(models.TextChoices):
    DRAFTED = "drafted", "已生成待报送"
    SENT = "sent", "已报送待回款"
    PARTLY_REPAID = "partly_repaid", "部分回款"
    REPAID = "repaid", "已全部回款"


class AdvanceClaim(models.Model):
    """垫付申报: what the one-stop window advanced in one month for one layer (大病保险 1301, 医疗救助 1302,
    兜底保障 1303), claimed from its payer with the settlements' detail list. Settlements of the month not yet
    claimed are its lines — a reversal in a later month is a negative line of that later claim."""

    number = models.CharField("申报单号", max_length=30, unique=True)
    layer = models.CharField("垫付类别", max_length=14, choices=AdvanceLayer.choices)
    month = models.DateField("申报月份", help_text="该月第一天")
    amount = models.DecimalField("申报金额", max_digits=14, decimal_places=2)
    line_count = models.IntegerField("明细笔数", default=0)
    repaid_amount = models.DecimalField("已回款", max_digits=14, decimal_places=2, default=0)
    status = models.CharField("状态", max_length=14, choices=AdvanceClaimStatus.choices,
                              default=AdvanceClaimStatus.DRAFTED)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name="生成人")
    created_at = models.DateTimeField("生成时间", auto_now_add=True)
    sent_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                verbose_name="报送人")
    sent_at = models.DateTimeField("报送时间", null=True, blank=True)

    class Meta:
        ordering = ["-month", "layer"]
        constraints = [
            models.UniqueConstraint(fields=["layer", "month"], name="one_advance_claim_per_layer_month"),
            models.CheckConstraint(name="advance_claim_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(name="advance_claim_repaid_within_amount",
                                   condition=Q(repaid_amount__gte=0, repaid_amount__lte=models.F("amount"))),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def outstanding(self):
        return self.amount - self.repaid_amount

    @property
    def account_code(self) -> str:
        from nrcms.funding.ledger import LAYER_RECEIVABLE

        return LAYER_RECEIVABLE[self.layer]


class AdvanceClaimLine(models.Model):
    """One settlement's amount of the claim's layer (negative for a reversal), or one manual claim's (手工报销):
    the centre paid that layer to the patient itself and claims it the same way — its payment, and its
    reversal (冲正) as a negative line. A settlement, and a manual claim's payment and its reversal, are each
    claimed once per layer. A manual claim names no facility: nothing was advanced by one."""

    claim = models.ForeignKey(AdvanceClaim, on_delete=models.PROTECT, related_name="lines")
    layer = models.CharField("垫付类别", max_length=14, choices=AdvanceLayer.choices)
    settlement = models.ForeignKey("claims.Settlement", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="advance_lines")
    manual_claim = models.ForeignKey("claims.ManualClaim", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="advance_lines", verbose_name="手工报销单")
    reversal = models.BooleanField("冲正", default=False, help_text="手工报销冲正（负数）")
    amount = models.DecimalField("金额", max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["claim", "settlement__settled_at", "settlement_id", "manual_claim_id", "reversal"]
        constraints = [
            models.UniqueConstraint(fields=["layer", "settlement"], name="settlement_claimed_once_per_layer"),
            models.UniqueConstraint(fields=["layer", "manual_claim", "reversal"],
                                    condition=Q(manual_claim__isnull=False),
                                    name="manual_claim_claimed_once_per_layer"),
            models.CheckConstraint(name="advance_line_settlement_or_manual_claim",
                                   condition=Q(settlement__isnull=False, manual_claim__isnull=True, reversal=False)
                                   | Q(settlement__isnull=True, manual_claim__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.settlement_id or self.manual_claim_id} {self.amount}"

    # one way to read either kind of line (the page, the Excel list, the API)
    @property
    def number(self) -> str:
        if self.settlement_id:
            return self.settlement.number
        return f"{self.manual_claim.number}{'（冲正）' if self.reversal else ''}"

    @property
    def at(self):
        if self.settlement_id:
            return self.settlement.settled_at
        return self.manual_claim.closed_at if self.reversal else self.manual_claim.paid_at

    @property
    def person(self):
        return (self.settlement or self.manual_claim).episode.person

    @property
    def facility_code(self) -> str | None:
        return self.settlement.episode.facility.code if self.settlement_id else None

    @property
    def payee(self) -> str:
        """Who the fund paid: the facility that advanced it, or the patient (手工报销)."""
        return self.settlement.episode.facility.name if self.settlement_id else "手工报销（县合管办直接支付患者）"

    @property
    def kind_label(self) -> str:
        return self.settlement.get_kind_display() if self.settlement_id else "手工报销"


class AdvanceRepayment(models.Model):
    """回款: money the insurer or civil affairs paid back on a claim — Dr 1001 / Cr 130x."""

    claim = models.ForeignKey(AdvanceClaim, on_delete=models.PROTECT, related_name="repayments")
    amount = models.DecimalField("回款金额", max_digits=14, decimal_places=2)
    reference = models.CharField("回款凭证号", max_length=60)
    idempotency_key = models.CharField("幂等键", max_length=80, null=True, blank=True, unique=True)
    received_on = models.DateField("到账日期")
    recorded_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name="登记人")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        ordering = ["claim", "id"]
        constraints = [models.CheckConstraint(name="advance_repayment_positive", condition=Q(amount__gt=0))]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.amount}"

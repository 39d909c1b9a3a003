from dataclasses import fields
from decimal import Decimal

from django.db import models
from django.db.models import F, Q

from nrcms.policy import YearToDate


class EpisodeKind(models.TextChoices):
    INPATIENT = "inpatient", "住院"
    OUTPATIENT = "outpatient", "门诊"


class EpisodeStatus(models.TextChoices):
    ADMITTED = "admitted", "在院"
    DISCHARGED = "discharged", "已出院待结算"
    SETTLED = "settled", "已结算"
    CANCELLED = "cancelled", "已撤销"


class Referral(models.Model):
    """转诊转院: approved before out-of-county or higher-level care, recorded by the township or county."""

    number = models.CharField("转诊单号", max_length=30, unique=True)
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="referrals")
    from_facility = models.ForeignKey("facilities.Facility", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+", verbose_name="转出机构")
    to_facility = models.ForeignKey("facilities.Facility", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name="转入机构")
    to_name = models.CharField("转入机构名称", max_length=100, blank=True)
    diagnosis_code = models.CharField("诊断", max_length=20, blank=True)
    approved_on = models.DateField("批准日期")
    valid_until = models.DateField("有效期至")
    approved_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField("转诊原因", max_length=200, blank=True)
    # 作废: a cancelled referral stays on file (it may be printed already) but no longer counts for any admission.
    cancelled_at = models.DateTimeField("作废时间", null=True, blank=True)
    cancelled_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name="作废人")
    cancel_reason = models.CharField("作废原因", max_length=300, blank=True)

    class Meta:
        ordering = ["-approved_on", "number"]
        constraints = [
            models.CheckConstraint(name="referral_validity_ordered", condition=Q(valid_until__gte=F("approved_on"))),
            models.CheckConstraint(name="referral_cancel_has_reason",
                                   condition=Q(cancelled_at__isnull=True) | ~Q(cancel_reason="")),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def destination(self) -> str:
        return self.to_facility.name if self.to_facility_id else self.to_name


class Episode(models.Model):
    """One admission or outpatient visit, keyed by the facility's own serial so a retried registration
    from the hospital system finds the first one."""

    facility = models.ForeignKey("facilities.Facility", on_delete=models.PROTECT, related_name="episodes")
    serial = models.CharField("就诊流水号", max_length=40)
    kind = models.CharField("类别", max_length=12, choices=EpisodeKind.choices)
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="episodes")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="episodes")
    enrollment = models.ForeignKey("registry.Enrollment", on_delete=models.PROTECT, related_name="episodes")
    scheme_year = models.PositiveSmallIntegerField("参合年度")
    admission_date = models.DateField("入院（就诊）日期")
    discharge_date = models.DateField("出院日期", null=True, blank=True)
    diagnosis_code = models.CharField("诊断编码", max_length=20, blank=True)
    diagnosis_name = models.CharField("诊断名称", max_length=120, blank=True)
    referral = models.ForeignKey(Referral, null=True, blank=True, on_delete=models.PROTECT, related_name="episodes")
    department = models.CharField("科室", max_length=40, blank=True)
    status = models.CharField("状态", max_length=12, choices=EpisodeStatus.choices, default=EpisodeStatus.ADMITTED)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                     verbose_name="撤销人")
    cancelled_at = models.DateTimeField("撤销时间", null=True, blank=True)
    cancel_reason = models.CharField("撤销原因", max_length=300, blank=True)

    class Meta:
        ordering = ["-admission_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "serial"], name="episode_serial_unique_per_facility"),
            models.CheckConstraint(name="discharge_not_before_admission",
                                   condition=Q(discharge_date__isnull=True) | Q(discharge_date__gte=F("admission_date"))),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.serial}"

    @property
    def status_label(self) -> str:
        """The status as the desk reads it: an outpatient visit not yet settled is 就诊中, not 在院."""
        if self.kind == EpisodeKind.OUTPATIENT and self.status == EpisodeStatus.ADMITTED:
            return "就诊中"
        return self.get_status_display()

    @property
    def days(self) -> int | None:
        if self.discharge_date is None:
            return None
        return max((self.discharge_date - self.admission_date).days, 1)


CLASS_SHORT = {"A": "甲", "B": "乙", "C": "丙"}
MANUAL_CODE_PREFIX = "手工-"


class CurrentChargeLines(models.Manager):
    """The lines that count: a withdrawn line (撤销明细) is kept for the record but is no longer part of the
    bill, so every reader through `ChargeLine.objects` or `episode.charges` — totals, the engine's input,
    the voucher — leaves it out. `ChargeLine.with_withdrawn` sees every line."""

    def get_queryset(self):
        return super().get_queryset().filter(withdrawn_at__isnull=True)


class ChargeLine(models.Model):
    """One itemised line of the bill, as the facility sent it, with the catalogue entry it mapped to on the
    charge date copied in: a settlement must be reproducible even after the catalogue changes. A wrong line
    is withdrawn (with who, when and why) and the corrected one uploaded under a new line number."""

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="charges")
    line_no = models.PositiveIntegerField("明细序号")
    facility_item_code = models.CharField("院内编码", max_length=40)
    item_name = models.CharField("项目名称", max_length=120)
    charged_on = models.DateField("费用日期")
    quantity = models.DecimalField("数量", max_digits=12, decimal_places=4)
    unit_price = models.DecimalField("单价", max_digits=14, decimal_places=4)
    amount = models.DecimalField("金额", max_digits=14, decimal_places=2)
    catalogue_code = models.CharField("目录编码", max_length=30)
    catalogue_class = models.CharField("目录分类", max_length=1)
    first_self_pay_share = models.DecimalField("先行自付比例", max_digits=5, decimal_places=4)
    price_limit = models.DecimalField("限价", max_digits=14, decimal_places=2, null=True, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField("撤销时间", null=True, blank=True)
    withdrawn_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                     verbose_name="撤销人")
    withdrawn_reason = models.CharField("撤销原因", max_length=300, blank=True)

    objects = CurrentChargeLines()
    with_withdrawn = models.Manager()  # noqa: DJ012 (a second manager, not a field)

    class Meta:
        ordering = ["episode", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["episode", "line_no"], name="charge_line_unique_per_episode"),
            models.CheckConstraint(name="charge_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(name="charge_quantity_positive", condition=Q(quantity__gt=0)),
            models.CheckConstraint(name="charge_withdrawal_has_who_and_why",
                                   condition=Q(withdrawn_at__isnull=True)
                                   | (Q(withdrawn_by__isnull=False) & ~Q(withdrawn_reason=""))),
        ]

    def __str__(self) -> str:
        return f"{self.line_no} {self.item_name} {self.amount}"

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def class_label(self) -> str:
        """甲 / 乙 / 丙 for the catalogue class A / B / C."""
        return CLASS_SHORT.get(self.catalogue_class, self.catalogue_class)

    @property
    def catalogue_label(self) -> str:
        """The catalogue code, or for a manual claim's class total (手工-A) the words 甲类费用合计."""
        if self.catalogue_code.startswith(MANUAL_CODE_PREFIX):
            return f"{self.class_label}类费用合计"
        return self.catalogue_code

    @property
    def first_self_pay_percent(self) -> str:
        """先行自付比例 as a percentage: 0.2000 → 20%, 0.0750 → 7.5%; empty when there is none."""
        if not self.first_self_pay_share:
            return ""
        return f"{(self.first_self_pay_share * 100).normalize():f}%"


HALF_FEN = Decimal("0.005")


def _adds_up() -> Q:
    """total = fund + self-pay + facility-borne, to the fen. Written as "within half a fen" because SQLite adds
    decimal columns as floats (0.10 + 0.20 ≠ 0.30 there); on PostgreSQL's exact numeric, whose amounts are all
    whole fen, it means exactly equal."""
    parts = F("fund_total") + F("self_pay") + F("facility_borne")
    return Q(total_cost__gt=parts - HALF_FEN, total_cost__lt=parts + HALF_FEN)


def _money(label: str):
    return models.DecimalField(label, max_digits=14, decimal_places=2, default=0)


class LayerAmounts(models.Model):
    """What one settlement (or a month of them) cost and who paid it, layer by layer: shared by desk
    settlements, manual claims and facility statements so the three always speak of the same amounts."""

    total_cost = _money("医疗总费用")
    basic = _money("基本医疗补偿")
    family_account = _money("家庭账户支付")
    fixed_fee = _money("单病种定额")
    subsidy = _money("定额补助")
    catastrophic = _money("大病保险")
    assistance = _money("医疗救助")
    safety_net = _money("兜底保障")
    fund_total = _money("基金支付合计")
    self_pay = _money("个人自付")
    facility_borne = _money("医疗机构承担")

    class Meta:
        abstract = True


class SettlementAmounts(LayerAmounts):
    """The amounts of one computed settlement: the layers plus the in-policy cost and the deductible."""

    eligible_cost = _money("政策范围内费用")
    deductible = _money("起付线")

    class Meta:
        abstract = True


class PersonYear(models.Model):
    """A person's year-to-date totals, updated in the same transaction as each settlement and locked
    (SELECT … FOR UPDATE) while one is computed, so two desks can never break the annual cap together."""

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="year_totals")
    scheme_year = models.PositiveSmallIntegerField("年度")
    admissions = models.PositiveIntegerField("住院次数", default=0)
    inpatient_cost = _money("住院总费用")
    basic_paid = _money("基本医疗补偿")
    outpatient_pooling_paid = _money("门诊统筹补偿")
    chronic_paid = _money("门诊慢性病补偿")
    catastrophic_base = _money("大病保险累计基数")
    catastrophic_paid = _money("大病保险补偿")
    assistance_base = _money("医疗救助累计基数")
    assistance_paid = _money("医疗救助")
    safety_net_paid = _money("兜底保障")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "scheme_year"], name="one_totals_row_per_person_year"),
            models.CheckConstraint(name="year_totals_not_negative",
                                   condition=Q(basic_paid__gte=0, inpatient_cost__gte=0, catastrophic_paid__gte=0,
                                               assistance_paid__gte=0, outpatient_pooling_paid__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.scheme_year}"


# the year-to-date totals a PersonYear keeps (the engine's YearToDate, less what is not kept per year: the family
# account's balance lives in the ledger, the day's outpatient total is counted from the day's settlements)
YTD_FIELDS = [f.name for f in fields(YearToDate)
              if f.name not in ("family_account_balance", "outpatient_paid_today", "year")]


class SettlementKind(models.TextChoices):
    SETTLEMENT = "settlement", "结算"
    REVERSAL = "reversal", "冲正"


class SettlementStatus(models.TextChoices):
    ACTIVE = "active", "有效"
    REVERSED = "reversed", "已冲正"


class Settlement(SettlementAmounts):
    """A settled episode: the engine's inputs, the scheme version, every amount and the explanation lines,
    so the number can be reproduced and explained years later. A reversal is a second row with negated
    amounts pointing at the first; nothing is updated in place but the original's status."""

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="settlements")
    kind = models.CharField("类别", max_length=12, choices=SettlementKind.choices, default=SettlementKind.SETTLEMENT)
    status = models.CharField("状态", max_length=10, choices=SettlementStatus.choices, default=SettlementStatus.ACTIVE)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal")
    number = models.CharField("结算单号", max_length=30, unique=True)
    scheme_id = models.CharField("补偿方案", max_length=60)
    scheme_version = models.CharField("方案版本", max_length=64)
    scheme_effective = models.DateField("方案生效日期")
    inputs = models.JSONField("计算输入")
    result = models.JSONField("计算结果与说明")
    issued = models.JSONField("开具时的凭据信息", null=True, blank=True,
                              help_text="证号、户主、住址与结算后的本年度累计，重打凭据时照此打印")
    idempotency_key = models.CharField("幂等键", max_length=80, null=True, blank=True, unique=True)
    reason = models.CharField("冲正原因", max_length=300, blank=True)
    settled_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    settled_at = models.DateTimeField("结算时间", auto_now_add=True)

    class Meta:
        ordering = ["-settled_at", "-id"]
        # statistics and the dashboard read settlements by a range of settlement times (stats.sources.day_range)
        indexes = [models.Index(fields=["settled_at"], name="settlement_settled_at")]
        constraints = [
            models.UniqueConstraint(fields=["episode"], condition=Q(kind="settlement", status="active"),
                                    name="one_active_settlement_per_episode"),
            models.CheckConstraint(name="reimbursement_not_above_eligible",
                                   condition=Q(kind="reversal") | Q(basic__lte=F("eligible_cost"))),
            models.CheckConstraint(name="settlement_amounts_add_up", condition=_adds_up()),
            models.CheckConstraint(name="reversal_points_at_original",
                                   condition=Q(kind="settlement", reverses__isnull=True)
                                   | Q(kind="reversal", reverses__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def status_label(self) -> str:
        """有效 / 已冲正 for a settlement; a reversal row has no status of its own to read (it is never undone)."""
        return "—" if self.kind == SettlementKind.REVERSAL else self.get_status_display()


class ManualClaimStatus(models.TextChoices):
    RECORDED = "recorded", "已录入待公示"
    NOTICED = "noticed", "公示中"
    PAID = "paid", "已结算支付"
    REVERSED = "reversed", "已冲正"
    REJECTED = "rejected", "不予报销"


class ManualClaim(SettlementAmounts):
    """手工报销: out-of-county care the patient paid first, claimed at the county centre from receipts. The
    care itself is an Episode at the out-of-county facility with the receipts as its charge lines, so the
    engine settles it like any admission; this row carries the claim's own life: checks of the referral and
    of the papers' date, the public notice (公示) and the payment to the patient, each by whom and when."""

    number = models.CharField("报销单号", max_length=30, unique=True)
    episode = models.OneToOneField(Episode, on_delete=models.PROTECT, related_name="manual_claim")
    referral = models.ForeignKey(Referral, null=True, blank=True, on_delete=models.PROTECT, related_name="manual_claims",
                                 verbose_name="转诊备案")
    unreferred = models.BooleanField("按未转诊报销", default=False)
    papers_received_on = models.DateField("材料受理日期")
    status = models.CharField("状态", max_length=10, choices=ManualClaimStatus.choices,
                              default=ManualClaimStatus.RECORDED)
    note = models.CharField("备注", max_length=300, blank=True)
    notice_from = models.DateField("公示开始日期", null=True, blank=True)
    notice_amount = models.DecimalField("公示补偿金额", max_digits=14, decimal_places=2, null=True, blank=True)
    scheme_id = models.CharField("补偿方案", max_length=60, blank=True)
    scheme_version = models.CharField("方案版本", max_length=64, blank=True)
    scheme_effective = models.DateField("方案生效日期", null=True, blank=True)
    inputs = models.JSONField("计算输入", null=True, blank=True)
    result = models.JSONField("计算结果与说明", null=True, blank=True)
    issued = models.JSONField("支付时的凭据信息", null=True, blank=True,
                              help_text="证号、户主、住址与支付后的本年度累计，重打凭据时照此打印")
    idempotency_key = models.CharField("幂等键", max_length=80, null=True, blank=True, unique=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name="录入人")
    recorded_at = models.DateTimeField("录入时间", auto_now_add=True)
    noticed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    paid_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                verbose_name="审批支付人")
    paid_at = models.DateTimeField("支付时间", null=True, blank=True)
    closed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField("冲正/不予报销时间", null=True, blank=True)
    reason = models.CharField("冲正/不予报销原因", max_length=300, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(name="manual_claim_referred_or_flagged",
                                   condition=Q(referral__isnull=False) | Q(unreferred=True)),
            models.CheckConstraint(name="manual_claim_noticed_before_paid",
                                   condition=~Q(status__in=["noticed", "paid"]) | Q(notice_from__isnull=False)),
            models.CheckConstraint(name="manual_claim_paid_has_payer",
                                   condition=~Q(status="paid") | Q(paid_by__isnull=False, paid_at__isnull=False)),
            models.CheckConstraint(name="manual_claim_payer_not_recorder",
                                   condition=Q(paid_by__isnull=True) | ~Q(paid_by=F("recorded_by"))),
            models.CheckConstraint(name="manual_claim_amounts_add_up", condition=_adds_up()),
        ]

    def __str__(self) -> str:
        return self.number

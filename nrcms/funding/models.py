"""Contributions (筹资) and the fund ledger. Money is Decimal to the fen; balances are derived from journal
lines, never typed in; nothing is updated or deleted — a correction is a reversing entry."""

from django.db import models
from django.db.models import F, Q


def _money(label: str, **kw):
    return models.DecimalField(label, max_digits=14, decimal_places=2, **kw)


class ContributionStandard(models.Model):
    """The year's standard per person, dated: a change adds a row with a later effective date."""

    scheme_year = models.PositiveSmallIntegerField("年度")
    effective_from = models.DateField("生效日期")
    personal_amount = _money("个人缴费")
    central_subsidy = _money("中央财政补助")
    provincial_subsidy = _money("省级财政补助")
    county_subsidy = _money("县级财政补助")
    family_account_amount = _money("个人缴费中划入家庭账户", default=0)
    authority = models.CharField("依据", max_length=200)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-scheme_year", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["scheme_year", "effective_from"], name="one_standard_per_year_date"),
            models.CheckConstraint(name="family_account_within_personal",
                                   condition=Q(family_account_amount__lte=F("personal_amount"))),
            models.CheckConstraint(name="standard_amounts_not_negative",
                                   condition=Q(personal_amount__gte=0, central_subsidy__gte=0,
                                               provincial_subsidy__gte=0, county_subsidy__gte=0,
                                               family_account_amount__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.scheme_year} 年度筹资标准"

    @property
    def total_per_person(self):
        return self.personal_amount + self.central_subsidy + self.provincial_subsidy + self.county_subsidy


class PayerKind(models.TextChoices):
    SELF = "self", "本人缴纳"
    COLLECTIVE = "collective", "村集体扶持"
    CIVIL_AFFAIRS = "civil_affairs", "民政代缴"
    CADRE_ADVANCE = "cadre_advance", "干部垫付"


class ContributionStatus(models.TextChoices):
    VALID = "valid", "有效"
    REVERSED = "reversed", "已冲销"


class Contribution(models.Model):
    """One receipt: one payer paying the personal share for one or more members of a household. A village
    collective paying part and the person the rest are two receipts. A reversal is a new row with negative
    lines pointing at the original."""

    receipt_number = models.CharField("收据号", max_length=30, unique=True)
    scheme_year = models.PositiveSmallIntegerField("年度", db_index=True)
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="contributions")
    payer_kind = models.CharField("缴费方", max_length=16, choices=PayerKind.choices)
    payer_name = models.CharField("缴款人", max_length=60)
    paid_on = models.DateField("缴费日期")
    total = _money("金额")
    status = models.CharField("状态", max_length=10, choices=ContributionStatus.choices, default=ContributionStatus.VALID)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal")
    reason = models.CharField("冲销原因", max_length=300, blank=True)
    cadre_repaid_on = models.DateField("垫付归还日期", null=True, blank=True)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(name="contribution_sign_matches_kind",
                                   condition=Q(reverses__isnull=True, total__gt=0) | Q(reverses__isnull=False, total__lt=0)),
        ]

    def __str__(self) -> str:
        return self.receipt_number


class ContributionLine(models.Model):
    contribution = models.ForeignKey(Contribution, on_delete=models.PROTECT, related_name="lines")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="contribution_lines")
    amount = _money("金额")
    family_account_amount = _money("划入家庭账户", default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contribution", "person"], name="one_line_per_person_per_receipt"),
            models.CheckConstraint(name="contribution_line_not_zero", condition=~Q(amount=0)),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.amount}"


class AccountKind(models.TextChoices):
    ASSET = "asset", "资产"
    LIABILITY = "liability", "负债"
    FUND = "fund", "基金"


class Account(models.Model):
    """A named ledger account. Family accounts are one per household; payables one per facility."""

    code = models.CharField("科目代码", max_length=40, unique=True)
    name = models.CharField("科目名称", max_length=100)
    kind = models.CharField("类别", max_length=10, choices=AccountKind.choices)
    household = models.OneToOneField("registry.Household", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="family_account")
    facility = models.OneToOneField("facilities.Facility", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="payable_account")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class JournalEntry(models.Model):
    date = models.DateField("记账日期")
    kind = models.CharField("业务类型", max_length=30, db_index=True)
    description = models.CharField("摘要", max_length=200)
    source_type = models.CharField(max_length=60, blank=True)
    source_id = models.CharField(max_length=40, blank=True)
    idempotency_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        # the fund's statistics and the dashboard sum lines by a range of entry dates (stats.fund, stats.dashboard)
        indexes = [models.Index(fields=["date"], name="journal_entry_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.description}"


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    debit = _money("借方", default=0)
    credit = _money("贷方", default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(name="journal_line_one_side",
                                   condition=Q(debit__gt=0, credit=0) | Q(debit=0, credit__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} 借{self.debit} 贷{self.credit}"


class YearClose(models.Model):
    """年终结账 of the family accounts: each household's balance on the closing date carried into the next year
    (one closing and one opening entry per household through account 3109). Once a year is closed, nothing more
    is posted to a family account on or before its closing date — see nrcms/funding/year_close.py."""

    scheme_year = models.PositiveSmallIntegerField("结账年度", unique=True)
    closing_date = models.DateField("结账日期")
    households = models.PositiveIntegerField("结转户数")
    total = _money("结转金额合计")
    negative_households = models.PositiveIntegerField("负余额户数", default=0)
    authority = models.CharField("依据", max_length=200)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    closed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField("结账时间", auto_now_add=True)

    class Meta:
        ordering = ["-scheme_year"]
        constraints = [
            models.CheckConstraint(name="year_close_not_negative_counts",
                                   condition=Q(negative_households__lte=F("households"))),
        ]

    def __str__(self) -> str:
        return f"{self.scheme_year} 年度家庭账户年终结账"


class LedgerDaySummary(models.Model):
    """The journal lines summed per day, account group and entry kind (nrcms/funding/summary.py): the fund's
    statistics read these few thousand rows instead of every line. An account group is the account's code, or
    for the per-household and per-facility accounts their common prefix (3102-, 2201-). Amounts in whole fen
    (integers: exact increments on SQLite too). Written only by summary.add_lines, in the same transaction as the
    lines it counts; `nrcms stats rebuild-summaries` recomputes it and the books check compares it with the lines."""

    day = models.DateField("记账日期")
    account_group = models.CharField("科目（组）", max_length=40)
    account_kind = models.CharField("科目类别", max_length=10, choices=AccountKind.choices)
    entry_kind = models.CharField("业务类型", max_length=30)
    debit_fen = models.BigIntegerField("借方合计（分）", default=0)
    credit_fen = models.BigIntegerField("贷方合计（分）", default=0)
    lines = models.BigIntegerField("分录行数", default=0)

    class Meta:
        verbose_name = "记账分录按日汇总"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["day", "account_group", "account_kind", "entry_kind"],
                                    name="ledger_day_summary_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.account_group} {self.entry_kind}"

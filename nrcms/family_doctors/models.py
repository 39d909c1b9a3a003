"""家庭医生签约 (family_doctor_contract, issue 14, domain §12): teams of a designated facility (doctor, nurse,
village doctor), contracts with a household (covering its members) or one person, visits recorded against a
contract, and the monthly payment of the fund's share of the fee to the team's facility through the ledger."""

from django.db import models
from django.db.models import F, Q


class MemberRole(models.TextChoices):
    DOCTOR = "doctor", "医生"
    NURSE = "nurse", "护士"
    VILLAGE_DOCTOR = "village_doctor", "乡村医生"


class Team(models.Model):
    """A family-doctor team (家庭医生团队) of a designated facility, usually a township health centre or a
    village clinic; the fee for its contracts is paid to that facility."""

    name = models.CharField("团队名称", max_length=60, unique=True)
    facility = models.ForeignKey("facilities.Facility", verbose_name="所属医疗机构", on_delete=models.PROTECT,
                                 related_name="family_doctor_teams")
    is_active = models.BooleanField("有效", default=True)
    created_at = models.DateTimeField("建立时间", auto_now_add=True)

    class Meta:
        ordering = ["facility__code", "name"]
        verbose_name = "家庭医生团队"
        verbose_name_plural = "家庭医生团队"

    def __str__(self) -> str:
        return self.name


class TeamMember(models.Model):
    team = models.ForeignKey(Team, verbose_name="团队", on_delete=models.PROTECT, related_name="members")
    name = models.CharField("姓名", max_length=40)
    role = models.CharField("团队职责", max_length=16, choices=MemberRole.choices)

    class Meta:
        ordering = ["team", "role", "id"]
        verbose_name = "团队成员"
        verbose_name_plural = "团队成员"

    def __str__(self) -> str:
        return f"{self.name}（{self.get_role_display()}）"


class ServicePackage(models.TextChoices):
    BASIC = "basic", "基础服务包"
    POOR = "poor", "建档立卡贫困人口服务包"
    CHRONIC = "chronic", "慢性病服务包"


class ContractStatus(models.TextChoices):
    ACTIVE = "active", "履约中"
    ENDED = "ended", "已到期"
    CANCELLED = "cancelled", "已解约"


class Contract(models.Model):
    """A contract of one team with a household (person empty: it covers the household's members) or one person,
    for a period (usually a year) and an annual fee split among who pays it: the fund, the person, and public
    health money. A renewal is a new contract whose `renews` is the previous one."""

    number = models.CharField("签约编号", max_length=20, unique=True)
    team = models.ForeignKey(Team, verbose_name="签约团队", on_delete=models.PROTECT, related_name="contracts")
    household = models.ForeignKey("registry.Household", verbose_name="签约户", on_delete=models.PROTECT,
                                  related_name="family_doctor_contracts")
    person = models.ForeignKey("registry.Person", verbose_name="签约人", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="family_doctor_contracts")
    package = models.CharField("服务包", max_length=16, choices=ServicePackage.choices)
    start = models.DateField("起始日期")
    end = models.DateField("终止日期")
    fee = models.DecimalField("年服务费", max_digits=10, decimal_places=2)
    fee_fund = models.DecimalField("基金承担", max_digits=10, decimal_places=2)
    fee_person = models.DecimalField("个人承担", max_digits=10, decimal_places=2)
    fee_public_health = models.DecimalField("公共卫生经费承担", max_digits=10, decimal_places=2)
    status = models.CharField("状态", max_length=10, choices=ContractStatus.choices, default=ContractStatus.ACTIVE)
    renews = models.OneToOneField("self", verbose_name="续签自", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="renewed_by")
    cancelled_on = models.DateField("解约日期", null=True, blank=True)
    cancel_reason = models.CharField("解约原因", max_length=200, blank=True)
    created_by = models.ForeignKey("accounts.User", verbose_name="经办人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("签约登记时间", auto_now_add=True)

    class Meta:
        ordering = ["-start", "-id"]
        verbose_name = "家庭医生签约"
        verbose_name_plural = "家庭医生签约"
        constraints = [
            models.CheckConstraint(name="fd_contract_fee_split_adds_up",
                                   condition=Q(fee=F("fee_fund") + F("fee_person") + F("fee_public_health"))),
            models.CheckConstraint(name="fd_contract_amounts_not_negative",
                                   condition=Q(fee_fund__gte=0, fee_person__gte=0, fee_public_health__gte=0)),
            models.CheckConstraint(name="fd_contract_end_after_start", condition=Q(end__gte=F("start"))),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def last_day(self):
        """The last day the contract is in force: the day before cancellation, else its end."""
        import datetime as dt

        if self.status == ContractStatus.CANCELLED and self.cancelled_on is not None:
            return min(self.end, self.cancelled_on - dt.timedelta(days=1))
        return self.end


class VisitKind(models.TextChoices):
    FOLLOW_UP = "follow_up", "随访"
    HOME_VISIT = "home_visit", "上门服务"
    HEALTH_CHECK = "health_check", "健康体检"
    CONSULTATION = "consultation", "健康咨询"


class Visit(models.Model):
    """A service given under a contract (履约记录): when, what, which team member, notes."""

    contract = models.ForeignKey(Contract, verbose_name="签约", on_delete=models.PROTECT, related_name="visits")
    person = models.ForeignKey("registry.Person", verbose_name="服务对象", on_delete=models.PROTECT,
                               related_name="family_doctor_visits")
    date = models.DateField("服务日期")
    kind = models.CharField("服务类别", max_length=16, choices=VisitKind.choices)
    member = models.ForeignKey(TeamMember, verbose_name="服务人员", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="visits")
    note = models.CharField("服务情况", max_length=500)
    recorded_by = models.ForeignKey("accounts.User", verbose_name="记录人", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = "签约服务记录"
        verbose_name_plural = "签约服务记录"

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class FeePayment(models.Model):
    """The fund's share of one team's contract fees for one month, posted to the ledger once
    (Dr 3101 统筹基金 / Cr 2201-机构): one row per team and month, never two. It is paid out to the facility as
    a line (家庭医生签约服务费) of the facility's monthly statement (`statement`): the statement of its month,
    or — paid after that statement was generated — the facility's next statement generated."""

    team = models.ForeignKey(Team, verbose_name="团队", on_delete=models.PROTECT, related_name="fee_payments")
    month = models.DateField("月份")  # the first day of the month
    contract_months = models.PositiveIntegerField("计费签约数")
    fund_fees = models.DecimalField("签约基金承担年费合计", max_digits=14, decimal_places=2)
    amount = models.DecimalField("本月支付金额", max_digits=14, decimal_places=2)
    entry = models.ForeignKey("funding.JournalEntry", verbose_name="记账分录", on_delete=models.PROTECT,
                              related_name="+")
    paid_by = models.ForeignKey("accounts.User", verbose_name="经办人", on_delete=models.PROTECT, related_name="+")
    paid_at = models.DateTimeField("支付时间", auto_now_add=True)
    facility = models.ForeignKey("facilities.Facility", verbose_name="收款医疗机构", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="family_doctor_fee_payments",
                                 help_text="支付时团队所属的医疗机构（贷记其应付账户）")
    statement = models.ForeignKey("payments.FacilityStatement", verbose_name="列入月结算单", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="family_doctor_fees")

    class Meta:
        ordering = ["-month", "team__name"]
        verbose_name = "家庭医生签约服务费支付"
        verbose_name_plural = "家庭医生签约服务费支付"
        constraints = [models.UniqueConstraint(fields=["team", "month"], name="fd_fee_payment_once_per_team_month")]

    def __str__(self) -> str:
        return f"{self.team} {self.month:%Y-%m}"

"""慢病、大病与家庭病床 (domain §12, issue 14): the chronic-disease register (慢性病认定, which opens the
outpatient chronic rate at the desk) with its follow-ups; concentrated treatment of the national list of
serious illnesses (大病集中救治) with its follow-ups; and home sickbeds (家庭病床) — opening, visits, closing —
settled as an inpatient stay through the desk's settlement service."""

from django.db import models
from django.db.models import F, Q


class ChronicStatus(models.TextChoices):
    CERTIFIED = "certified", "已认定"
    REVOKED = "revoked", "已撤销"
    EXPIRED = "expired", "已过期"  # shown and filtered for a certificate past its valid_until; never stored


class ChronicCertificate(models.Model):
    """慢性病认定: a person certified for one disease of the scheme's chronic list (an ICD-10 code prefix such as
    I10) by a designated facility of county level or above, from `certified_on` to `valid_until`. A revoked
    certificate keeps counting for visits before `revoked_on`, so a replayed settlement stays true."""

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="chronic_certificates",
                               verbose_name="人员")
    disease_code = models.CharField("病种编码（ICD-10）", max_length=20)
    disease_name = models.CharField("病种名称", max_length=60)
    facility = models.ForeignKey("facilities.Facility", on_delete=models.PROTECT, related_name="+",
                                 verbose_name="认定医疗机构")
    certified_on = models.DateField("认定日期")
    valid_until = models.DateField("有效期至")
    status = models.CharField("状态", max_length=12, choices=ChronicStatus.choices, default=ChronicStatus.CERTIFIED)
    revoked_on = models.DateField("撤销日期", null=True, blank=True)
    revoke_reason = models.CharField("撤销原因", max_length=300, blank=True)
    revoked_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name="撤销人")
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name="登记人")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        ordering = ["-certified_on", "-id"]
        verbose_name = "慢性病认定"
        verbose_name_plural = "慢性病认定"
        constraints = [
            models.CheckConstraint(name="chronic_validity_ordered", condition=Q(valid_until__gte=F("certified_on"))),
            models.CheckConstraint(name="chronic_revocation_complete",
                                   condition=~Q(status="revoked") | (Q(revoked_on__isnull=False) & ~Q(revoke_reason=""))),
            models.CheckConstraint(name="chronic_status_stored", condition=Q(status__in=["certified", "revoked"])),
        ]

    def __str__(self) -> str:
        return f"{self.disease_name}（{self.disease_code}）"

    def status_on(self, on) -> str:
        if self.status == ChronicStatus.REVOKED and self.revoked_on <= on:
            return ChronicStatus.REVOKED
        if on > self.valid_until:
            return ChronicStatus.EXPIRED
        return ChronicStatus.CERTIFIED


class ChronicFollowUp(models.Model):
    """慢病随访: date, who followed up, blood pressure / glucose as written, notes."""

    certificate = models.ForeignKey(ChronicCertificate, on_delete=models.PROTECT, related_name="follow_ups",
                                    verbose_name="慢性病认定")
    date = models.DateField("随访日期")
    by_whom = models.CharField("随访人", max_length=40)
    blood_pressure = models.CharField("血压", max_length=40, blank=True)
    glucose = models.CharField("血糖", max_length=40, blank=True)
    note = models.CharField("随访情况", max_length=500, blank=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name="登记人")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = "慢病随访"
        verbose_name_plural = "慢病随访"

    def __str__(self) -> str:
        return f"{self.date} 慢病随访"


class SeriousIllness(models.TextChoices):
    """大病集中救治: the national list of serious illnesses (国家卫生健康委 大病专项救治病种), each once."""

    CHILD_ALL = "child_all", "儿童急性淋巴细胞白血病"
    CHILD_APL = "child_apl", "儿童急性早幼粒细胞白血病"
    CHILD_ASD = "child_asd", "儿童先天性房间隔缺损"
    CHILD_VSD = "child_vsd", "儿童先天性室间隔缺损"
    ESRD = "esrd", "终末期肾病"
    BREAST_CANCER = "breast_cancer", "乳腺癌"
    CERVICAL_CANCER = "cervical_cancer", "宫颈癌"
    SEVERE_MENTAL = "severe_mental", "重性精神病"
    MDR_TB = "mdr_tb", "耐多药结核病"
    LUNG_CANCER = "lung_cancer", "肺癌"
    ESOPHAGEAL_CANCER = "esophageal_cancer", "食道癌"
    GASTRIC_CANCER = "gastric_cancer", "胃癌"
    COLON_CANCER = "colon_cancer", "结肠癌"
    RECTAL_CANCER = "rectal_cancer", "直肠癌"
    AIDS_OI = "aids_oi", "艾滋病机会性感染"
    HEMOPHILIA = "hemophilia", "血友病"
    CML = "cml", "慢性粒细胞白血病"
    CLEFT_LIP_PALATE = "cleft_lip_palate", "唇腭裂"
    HYPOSPADIAS = "hypospadias", "尿道下裂"
    TYPE1_DIABETES = "type1_diabetes", "1型糖尿病"
    HYPERTHYROIDISM = "hyperthyroidism", "甲亢"
    ACUTE_MI = "acute_mi", "急性心肌梗塞"
    CEREBRAL_INFARCTION = "cerebral_infarction", "脑梗死"
    CHILD_PKU = "child_pku", "儿童苯丙酮尿症"


class SeriousStatus(models.TextChoices):
    TREATING = "treating", "救治中"
    COMPLETED = "completed", "救治完成"
    STOPPED = "stopped", "终止救治"


class SeriousIllnessCase(models.Model):
    """大病集中救治 record: one person, one listed disease, the designated hospital and the clinical pathway."""

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="serious_illness_cases",
                               verbose_name="人员")
    disease = models.CharField("病种", max_length=24, choices=SeriousIllness.choices)
    facility = models.ForeignKey("facilities.Facility", on_delete=models.PROTECT, related_name="+",
                                 verbose_name="定点救治医院")
    pathway = models.CharField("临床路径", max_length=1000)
    started_on = models.DateField("开始救治日期")
    status = models.CharField("状态", max_length=12, choices=SeriousStatus.choices, default=SeriousStatus.TREATING)
    closed_on = models.DateField("结束日期", null=True, blank=True)
    close_note = models.CharField("结束说明", max_length=300, blank=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name="登记人")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        verbose_name = "大病集中救治"
        verbose_name_plural = "大病集中救治"
        constraints = [
            models.CheckConstraint(name="serious_case_closed_after_start",
                                   condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("started_on"))),
            models.CheckConstraint(name="serious_case_closed_has_date",
                                   condition=Q(status="treating") | Q(closed_on__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.get_disease_display()} {self.started_on}"


class SeriousFollowUp(models.Model):
    """大病患者随访."""

    case = models.ForeignKey(SeriousIllnessCase, on_delete=models.PROTECT, related_name="follow_ups",
                             verbose_name="大病救治记录")
    date = models.DateField("随访日期")
    by_whom = models.CharField("随访人", max_length=40)
    note = models.CharField("随访情况", max_length=500)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name="登记人")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = "大病随访"
        verbose_name_plural = "大病随访"

    def __str__(self) -> str:
        return f"{self.date} 大病随访"


class SickbedStatus(models.TextChoices):
    OPEN = "open", "在床"
    CLOSED = "closed", "已撤床待结算"
    SETTLED = "settled", "已结算"


class HomeSickbed(models.Model):
    """家庭病床: opened by a designated facility for a person at home; visits carry the charges; on closing it is
    settled as an inpatient stay at the facility (admission = opened_on, discharge = closed_on)."""

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="home_sickbeds",
                               verbose_name="人员")
    facility = models.ForeignKey("facilities.Facility", on_delete=models.PROTECT, related_name="home_sickbeds",
                                 verbose_name="建床医疗机构")
    doctor = models.CharField("责任医生", max_length=40)
    diagnosis_code = models.CharField("诊断编码", max_length=20)
    diagnosis_name = models.CharField("诊断名称", max_length=120)
    opened_on = models.DateField("建床日期")
    planned_days = models.PositiveSmallIntegerField("计划天数")
    status = models.CharField("状态", max_length=12, choices=SickbedStatus.choices, default=SickbedStatus.OPEN)
    closed_on = models.DateField("撤床日期", null=True, blank=True)
    episode = models.OneToOneField("claims.Episode", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="home_sickbed", verbose_name="结算就诊记录")
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name="登记人")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        ordering = ["-opened_on", "-id"]
        verbose_name = "家庭病床"
        verbose_name_plural = "家庭病床"
        constraints = [
            models.CheckConstraint(name="sickbed_closed_after_opened",
                                   condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("opened_on"))),
            models.CheckConstraint(name="sickbed_planned_days_positive", condition=Q(planned_days__gte=1)),
        ]

    def __str__(self) -> str:
        return f"家庭病床 JTBC{self.pk}"

    @property
    def number(self) -> str:
        return f"JTBC{self.pk:06d}"


class HomeSickbedVisit(models.Model):
    """One visit (查床) with the services given and its charge as one bill line of the facility's catalogue."""

    sickbed = models.ForeignKey(HomeSickbed, on_delete=models.PROTECT, related_name="visits", verbose_name="家庭病床")
    date = models.DateField("查床日期")
    services = models.CharField("服务内容", max_length=300)
    item_code = models.CharField("收费项目编码（本机构）", max_length=40)
    quantity = models.DecimalField("数量", max_digits=10, decimal_places=2)
    unit_price = models.DecimalField("单价", max_digits=14, decimal_places=2)
    amount = models.DecimalField("金额", max_digits=14, decimal_places=2)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name="登记人")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = "家庭病床查床"
        verbose_name_plural = "家庭病床查床"
        constraints = [models.CheckConstraint(name="sickbed_visit_amount_not_negative", condition=Q(amount__gte=0))]

    def __str__(self) -> str:
        return f"{self.date} 查床"

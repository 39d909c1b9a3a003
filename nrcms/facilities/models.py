from django.db import models

from .measures import MEASURE_BY_KEY


class FacilityLevel(models.TextChoices):
    VILLAGE = "village", "村卫生室"
    TOWNSHIP = "township", "乡镇卫生院（一级）"
    COUNTY = "county", "县级医院（二级）"
    PREFECTURE = "prefecture", "市级医院（三级）"
    PROVINCE = "province", "省级医院（三级）"


class DesignationStatus(models.TextChoices):
    DESIGNATED = "designated", "定点"
    SUSPENDED = "suspended", "暂停"
    REVOKED = "revoked", "取消定点"


class Facility(models.Model):
    """A hospital or clinic. Designation history and catalogue mappings come with the settlement work."""

    code = models.CharField("机构编码", max_length=20, unique=True)
    name = models.CharField("机构名称", max_length=100)
    level = models.CharField("机构级别", max_length=12, choices=FacilityLevel.choices)
    region = models.ForeignKey(
        "registry.Region", verbose_name="所在地区", null=True, blank=True, on_delete=models.PROTECT,
        related_name="facilities",
    )
    address = models.CharField("地址", max_length=200, blank=True)
    in_county = models.BooleanField("县内机构", default=True)
    status = models.CharField(
        "定点状态", max_length=12, choices=DesignationStatus.choices, default=DesignationStatus.DESIGNATED
    )

    class Meta:
        ordering = ["code"]
        verbose_name = "医疗机构"
        verbose_name_plural = "医疗机构"
        constraints = [
            models.CheckConstraint(
                name="facility_in_county_has_region",
                condition=models.Q(in_county=False) | models.Q(region__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DesignationChange(models.Model):
    """Designation is managed dynamically (domain §8): every change of status is a dated row."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="designation_history")
    status = models.CharField("定点状态", max_length=12, choices=DesignationStatus.choices)
    effective_date = models.DateField("生效日期")
    reason = models.CharField("原因", max_length=300)
    authority = models.CharField("依据", max_length=200, blank=True)
    recorded_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    # A scheduled change (effective after the day it is withdrawn) can be withdrawn with a reason: the row is
    # kept, marked withdrawn, and no longer counts. A change already in force is corrected by a new change.
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    withdrawn_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name="撤回人")
    withdrawal_reason = models.CharField("撤回原因", max_length=300, blank=True)

    class Meta:
        ordering = ["facility", "effective_date", "id"]
        constraints = [
            models.CheckConstraint(name="designation_withdrawal_has_reason",
                                   condition=models.Q(withdrawn_at__isnull=True) | ~models.Q(withdrawal_reason="")),
        ]

    def __str__(self) -> str:
        return f"{self.facility} {self.get_status_display()} {self.effective_date}"


class ItemKind(models.TextChoices):
    DRUG = "drug", "药品"
    SERVICE = "service", "诊疗项目"
    MATERIAL = "material", "医用耗材"


class CatalogueClass(models.TextChoices):
    A = "A", "甲类"
    B = "B", "乙类"
    C = "C", "丙类"


class CatalogueItem(models.Model):
    """One entry of the scheme's drug and service catalogue, dated: a change adds a row, never edits one."""

    code = models.CharField("目录编码", max_length=30, db_index=True)
    name = models.CharField("名称", max_length=120)
    kind = models.CharField("类别", max_length=10, choices=ItemKind.choices)
    catalogue_class = models.CharField("目录分类", max_length=1, choices=CatalogueClass.choices)
    first_self_pay_share = models.DecimalField("先行自付比例", max_digits=5, decimal_places=4, default=0)
    price_limit = models.DecimalField("最高限价", max_digits=14, decimal_places=2, null=True, blank=True)
    unit = models.CharField("单位", max_length=20, blank=True)
    valid_from = models.DateField("生效日期")
    valid_to = models.DateField("失效日期", null=True, blank=True)
    authority = models.CharField("依据", max_length=200, blank=True)

    class Meta:
        ordering = ["code", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="catalogue_item_one_version_per_date"),
            models.CheckConstraint(
                name="first_self_pay_share_in_range",
                condition=models.Q(first_self_pay_share__gte=0, first_self_pay_share__lte=1),
            ),
            models.CheckConstraint(
                name="catalogue_first_self_pay_only_for_b",
                condition=models.Q(catalogue_class="B") | models.Q(first_self_pay_share=0),
            ),
            models.CheckConstraint(name="price_limit_positive",
                                   condition=models.Q(price_limit__isnull=True) | models.Q(price_limit__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}（{self.get_catalogue_class_display()}）"


class IcdEdition(models.TextChoices):
    CLINICAL = "clinical", "国家临床版"
    INSURANCE = "insurance", "医保版"


class Diagnosis(models.Model):
    """ICD-10 codes; the national clinical and insurance editions are kept apart (domain §13)."""

    edition = models.CharField("版本", max_length=10, choices=IcdEdition.choices)
    code = models.CharField("ICD-10 编码", max_length=20)
    name = models.CharField("诊断名称", max_length=120)
    is_chronic = models.BooleanField("门诊慢性病", default=False)

    class Meta:
        ordering = ["edition", "code"]
        constraints = [models.UniqueConstraint(fields=["edition", "code"], name="diagnosis_code_per_edition")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class MappingStatus(models.TextChoices):
    PROPOSED = "proposed", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "已驳回"


class ChargeMapping(models.Model):
    """对照: a facility's own charge code mapped to a catalogue code. An unmapped code is reported, never
    guessed; a remapping ends the old row and adds a new one. A hospital desk only proposes: the county office
    approves (or rejects, with a reason), and settlement uses approved mappings only."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="charge_mappings")
    facility_item_code = models.CharField("院内编码", max_length=40)
    facility_item_name = models.CharField("院内名称", max_length=120)
    catalogue_code = models.CharField("目录编码", max_length=30)
    valid_from = models.DateField("生效日期")
    valid_to = models.DateField("失效日期", null=True, blank=True)
    mapped_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField("审批状态", max_length=10, choices=MappingStatus.choices, default=MappingStatus.PROPOSED)
    decided_by = models.ForeignKey("accounts.User", verbose_name="审批人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    reject_reason = models.CharField("驳回原因", max_length=200, blank=True)

    class Meta:
        ordering = ["facility", "facility_item_code", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "facility_item_code"],
                                    condition=models.Q(valid_to__isnull=True, status="approved"),
                                    name="one_open_mapping_per_facility_code"),
            models.UniqueConstraint(fields=["facility", "facility_item_code"], condition=models.Q(status="proposed"),
                                    name="one_pending_mapping_proposal_per_facility_code"),
        ]

    def __str__(self) -> str:
        return f"{self.facility_item_code} → {self.catalogue_code}"


class FacilityAssessment(models.Model):
    """考核记录: one assessment of a designated facility (date, score out of 100, findings, who assessed)."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="assessments")
    assessed_on = models.DateField("考核日期")
    score = models.DecimalField("考核得分", max_digits=5, decimal_places=2)
    findings = models.TextField("考核意见", max_length=2000)
    assessor = models.CharField("考核人（组）", max_length=100)
    recorded_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["facility", "-assessed_on", "-id"]
        verbose_name = "定点机构考核记录"
        constraints = [models.CheckConstraint(name="assessment_score_0_100",
                                              condition=models.Q(score__gte=0, score__lte=100))]

    def __str__(self) -> str:
        return f"{self.facility} {self.assessed_on} {self.score}"


class DesignationAction(models.TextChoices):
    WARNING = "warning", "警告"
    SUSPEND = "suspend", "暂停定点"
    REVOKE = "revoke", "取消定点"
    REINSTATE = "reinstate", "恢复定点"


# The designation status each action puts in force on its effective date (a warning changes none).
ACTION_STATUS = {DesignationAction.SUSPEND: DesignationStatus.SUSPENDED,
                 DesignationAction.REVOKE: DesignationStatus.REVOKED,
                 DesignationAction.REINSTATE: DesignationStatus.DESIGNATED}


class RequestStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "已驳回"


class DesignationRequest(models.Model):
    """警告、暂停、取消、恢复定点: asked by the county office, decided by the director (another user). An
    approved suspension, revocation or reinstatement becomes a dated DesignationChange from its effective date."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="designation_requests")
    action = models.CharField("处理类别", max_length=10, choices=DesignationAction.choices)
    effective_date = models.DateField("生效日期")
    reason = models.CharField("原因", max_length=300)
    authority = models.CharField("依据", max_length=200, blank=True)
    status = models.CharField("审批状态", max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+",
                                     verbose_name="申请人")
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name="审批人")
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=300, blank=True)
    change = models.OneToOneField(DesignationChange, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="request", verbose_name="定点状态变更")

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = "定点处理申请"
        constraints = [
            models.UniqueConstraint(fields=["facility"], condition=models.Q(status="pending"),
                                    name="one_pending_designation_request_per_facility"),
            models.CheckConstraint(name="designation_request_rejection_has_note",
                                   condition=~models.Q(status="rejected") | ~models.Q(decision_note="")),
        ]

    def __str__(self) -> str:
        return f"{self.facility} {self.get_action_display()} {self.effective_date}"


class AlertStatus(models.TextChoices):
    OPEN = "open", "待处理"
    ACKNOWLEDGED = "acknowledged", "已处理"


class FacilityAlert(models.Model):
    """超阈值预警: a facility's monthly measure above the scheme's threshold, raised by `nrcms scorecards run`
    for the county office; acknowledged with a note. One row per facility, month and measure (a re-run
    updates the value of an open alert, never duplicates it)."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="alerts")
    month = models.DateField("月份")  # the first day of the month
    measure = models.CharField("指标", max_length=30)
    value = models.DecimalField("指标值", max_digits=9, decimal_places=2)
    threshold = models.DecimalField("阈值", max_digits=9, decimal_places=2)
    status = models.CharField("状态", max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    raised_at = models.DateTimeField("预警时间", auto_now_add=True)
    note = models.CharField("处理说明", max_length=300, blank=True)
    acknowledged_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+", verbose_name="处理人")
    acknowledged_at = models.DateTimeField("处理时间", null=True, blank=True)

    class Meta:
        ordering = ["-month", "facility", "measure"]
        verbose_name = "机构监管预警"
        constraints = [
            models.UniqueConstraint(fields=["facility", "month", "measure"], name="one_alert_per_facility_month_measure"),
            models.CheckConstraint(name="alert_acknowledged_has_note",
                                   condition=models.Q(status="open") | ~models.Q(note="")),
        ]

    def __str__(self) -> str:
        return f"{self.facility} {self.month:%Y-%m} {self.measure_label}"

    @property
    def measure_label(self) -> str:
        measure = MEASURE_BY_KEY.get(self.measure)
        return f"{measure.label}（{measure.unit}）" if measure else self.measure

from django.db import models
from django.db.models import Q

from nrcms.core.masking import mask_id

from . import addresses, levels


class RegionLevel(models.TextChoices):
    """The codes are the same in every county; what a county calls them follows its province
    (nrcms/registry/levels.py: 乡镇/行政村, or 苏木/嘎查 in Inner Mongolia). These labels are the common words."""

    COUNTY = "county", "县（区）"
    TOWNSHIP = "township", "乡镇"
    VILLAGE = "village", "行政村"
    GROUP = "group", "村民小组"


# How many leading digits of a code name a level's subtree. Statistical division codes are 12 digits:
# 6 for the county, 3 more for the township, 3 more for the village. Village groups have no national
# code; ours append 3 digits to the village's code.
PREFIX_LENGTH = {
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWNSHIP: 9,
    RegionLevel.VILLAGE: 12,
    RegionLevel.GROUP: 15,
}
CHILD_LEVEL = {
    RegionLevel.COUNTY: RegionLevel.TOWNSHIP,
    RegionLevel.TOWNSHIP: RegionLevel.VILLAGE,
    RegionLevel.VILLAGE: RegionLevel.GROUP,
}


class Region(models.Model):
    """The county → township → village → group tree of one pooling region."""

    code = models.CharField("区划代码", max_length=15, unique=True)
    name = models.CharField("名称", max_length=60)
    level = models.CharField("层级", max_length=10, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    agricultural_population = models.PositiveIntegerField("农业人口", null=True, blank=True)
    is_active = models.BooleanField("有效", default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        constraints = [
            models.CheckConstraint(
                name="region_root_is_county",
                condition=Q(parent__isnull=True, level="county") | Q(parent__isnull=False) & ~Q(level="county"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def get_level_display(self) -> str:
        """The level in the words of this county: 乡镇 in Shaanxi, 苏木（乡镇） in Inner Mongolia. Replaces the
        display Django would derive from the choices, so every page and export that shows a region's level
        follows the county."""
        return levels.level_label(self.code, self.level)

    level_label = property(get_level_display)

    @property
    def prefix(self) -> str:
        return self.code[: PREFIX_LENGTH[RegionLevel(self.level)]]

    @property
    def child_level(self) -> str | None:
        return CHILD_LEVEL.get(RegionLevel(self.level))

    def ancestors(self) -> list["Region"]:
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    @property
    def full_name(self) -> str:
        """甘亭镇东韩村三组: the township down to this region, a name the next one repeats written once."""
        names = [r.name for r in [*self.ancestors(), self] if r.level != RegionLevel.COUNTY]
        return addresses.place_name(names) or self.name


# --- households and persons (issue: households, enrollment, contributions) --------------------------

class Sex(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class Relation(models.TextChoices):
    HEAD = "head", "户主"
    SPOUSE = "spouse", "配偶"
    CHILD = "child", "子女"
    CHILD_IN_LAW = "child_in_law", "儿媳/女婿"
    GRANDCHILD = "grandchild", "孙子女/外孙子女"
    PARENT = "parent", "父母"
    GRANDPARENT = "grandparent", "祖父母/外祖父母"
    SIBLING = "sibling", "兄弟姐妹"
    OTHER = "other", "其他"


class PersonStatus(models.TextChoices):
    ACTIVE = "active", "在册"
    DECEASED = "deceased", "死亡"
    MOVED_OUT = "moved_out", "迁出本县"


class Household(models.Model):
    """The unit of enrollment (以户为单位参合)."""

    number = models.CharField("户编号", max_length=20, unique=True)
    region = models.ForeignKey(Region, verbose_name="住址（村民小组或村）", on_delete=models.PROTECT,
                               related_name="households")
    address = models.CharField("详细地址", max_length=200, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    is_active = models.BooleanField("有效", default=True)
    created_at = models.DateTimeField("建档时间", auto_now_add=True)

    class Meta:
        ordering = ["number"]
        verbose_name = "家庭户"
        verbose_name_plural = "家庭户"

    def __str__(self) -> str:
        head = self.members.filter(relation=Relation.HEAD, status=PersonStatus.ACTIVE).first()
        return f"{self.number}（户主：{head.name if head else '未定'}）"

    @property
    def full_address(self) -> str:
        """甘亭镇东韩村一组12 号: the region's place name and the detailed address, nothing written twice."""
        chain = [*self.region.ancestors(), self.region]
        county = next((r.name for r in chain if r.level == RegionLevel.COUNTY), "")
        return addresses.address([r.name for r in chain if r.level != RegionLevel.COUNTY], self.address,
                                 county=county)


class Person(models.Model):
    """A resident. Sex and birth date come from the ID number and are kept for queries."""

    id_number = models.CharField("身份证号", max_length=18, unique=True)
    name = models.CharField("姓名", max_length=40, db_index=True)
    name_initials = models.CharField("姓名拼音首字母", max_length=40, db_index=True, blank=True)
    sex = models.CharField("性别", max_length=1, choices=Sex.choices)
    birth_date = models.DateField("出生日期")
    household = models.ForeignKey(Household, verbose_name="所在户", on_delete=models.PROTECT,
                                  related_name="members")
    relation = models.CharField("与户主关系", max_length=16, choices=Relation.choices)
    phone = models.CharField("电话", max_length=20, blank=True)
    status = models.CharField("状态", max_length=12, choices=PersonStatus.choices, default=PersonStatus.ACTIVE)
    status_date = models.DateField("状态日期", null=True, blank=True)

    class Meta:
        ordering = ["household", "id"]
        verbose_name = "人员"
        verbose_name_plural = "人员"
        constraints = [
            models.UniqueConstraint(fields=["household"], condition=Q(relation="head", status="active"),
                                    name="one_active_head_per_household"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{mask_id(self.id_number)}）"


class Category(models.TextChoices):
    WUBAO = "wubao", "五保户"
    TEKUN = "tekun", "特困供养"
    DIBAO = "dibao", "低保"
    REGISTERED_POOR = "registered_poor", "建档立卡贫困户"
    # 防止返贫监测对象: households watched after (or short of) registration; no benefit scheme layer reads it
    # yet. Added with the poverty registry's import (nrcms/poverty, issue 14).
    MONITORED = "monitored", "监测户"
    DISABLED = "disabled", "残疾人"
    MARTYR_FAMILY = "martyr_family", "优抚对象"


# The categories the poverty office's list decides (nrcms/poverty): civil affairs may grant and end these
# without the registry's other rights.
POVERTY_CATEGORIES = frozenset({Category.REGISTERED_POOR, Category.MONITORED})


class PersonCategoryQuerySet(models.QuerySet):
    def held_on(self, on) -> "PersonCategoryQuerySet":
        """The categories in force on a day: begun on or before it and not ended before it (valid_to is the
        last day held). The one definition every reader uses: settlement, vouchers, the desk, lists, exports."""
        return self.filter(valid_from__lte=on).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))


class PersonCategory(models.Model):
    """An identity category a person holds for a period; the past is never overwritten."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="categories")
    category = models.CharField("类别", max_length=20, choices=Category.choices)
    valid_from = models.DateField("起始日期")
    valid_to = models.DateField("终止日期", null=True, blank=True)
    authority = models.CharField("认定依据", max_length=200, blank=True)

    objects = PersonCategoryQuerySet.as_manager()

    class Meta:
        ordering = ["person", "valid_from"]
        constraints = [
            models.CheckConstraint(name="category_period_ordered",
                                   condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from"))),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.valid_from}–{self.valid_to or ''}"


class EventKind(models.TextChoices):
    REGISTER = "register", "建档"
    BIRTH = "birth", "出生"
    DEATH = "death", "死亡"
    MOVE = "move", "户间迁移"
    MARRIAGE_IN = "marriage_in", "婚入"
    MARRIAGE_OUT = "marriage_out", "婚出"
    MOVE_OUT = "move_out", "迁出本县"
    MOVE_IN = "move_in", "迁入本县"


class PersonEvent(models.Model):
    """A dated life event; with the audit row it tells who recorded it and on what authority."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField("事件", max_length=16, choices=EventKind.choices)
    date = models.DateField("日期")
    from_household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+")
    to_household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.CharField("说明", max_length=200, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person", "date", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"


class ExemptionReason(models.TextChoices):
    EMPLOYEE_INSURANCE = "employee_insurance", "已参加职工医保"
    MILITARY = "military", "现役军人"
    STUDENT_ELSEWHERE = "student_elsewhere", "在外地就学已参保"
    INSURED_ELSEWHERE = "insured_elsewhere", "已在外地参保"
    DECEASED = "deceased", "已死亡"
    OTHER = "other", "其他（须说明）"


class EnrollmentStatus(models.TextChoices):
    ENROLLED = "enrolled", "已参合"
    CANCELLED = "cancelled", "已撤销"


class Enrollment(models.Model):
    """A person covered in a scheme year. Enrolled by whole household."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="enrollments")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="enrollments")
    scheme_year = models.PositiveSmallIntegerField("参合年度", db_index=True)
    status = models.CharField("状态", max_length=10, choices=EnrollmentStatus.choices,
                              default=EnrollmentStatus.ENROLLED)
    enrolled_at = models.DateTimeField("参合时间", auto_now_add=True)

    class Meta:
        ordering = ["scheme_year", "household", "person"]
        constraints = [
            models.UniqueConstraint(fields=["person", "scheme_year"], name="one_enrollment_per_person_year"),
        ]
        # the statistics count a year's enrolled persons by household (stats.dashboard, stats.ledgers,
        # stats.indicators): an index-only scan instead of reading every enrollment row
        indexes = [models.Index(fields=["scheme_year", "status", "household"], name="enrollment_year_status_hh")]

    def __str__(self) -> str:
        return f"{self.scheme_year} 年度参合"


class EnrolledCount(models.Model):
    """Enrolled persons per scheme year and the household's region (a village or a villagers' group): the kept
    summary the statistics read instead of counting 400,000 enrollment rows (nrcms/registry/enrolled_counts.py).
    Written only by enrolled_counts.adjust, in the same transaction as the enrollments it counts (enroll,
    re-enroll, cancel, the roster import and with it the demo build); `nrcms stats rebuild-summaries` recomputes
    it and `nrcms registry check` compares it with the enrollments."""

    scheme_year = models.PositiveSmallIntegerField("参合年度")
    # a region is never deleted while households use it (Household.region is PROTECT): only empty rows go with it
    region = models.ForeignKey(Region, verbose_name="户所在区划", on_delete=models.CASCADE, related_name="+")
    persons = models.IntegerField("参合人数", default=0)

    class Meta:
        verbose_name = "按区划参合人数汇总"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["scheme_year", "region"], name="enrolled_count_key"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme_year} 年度 {self.region_id}：{self.persons} 人"


class EnrollmentExemption(models.Model):
    """Why a household member is legitimately not enrolled this year (a recorded reason is required)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="exemptions")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="exemptions")
    scheme_year = models.PositiveSmallIntegerField("年度")
    reason = models.CharField("原因", max_length=24, choices=ExemptionReason.choices)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "scheme_year"], name="one_exemption_per_person_year"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme_year} 未参合：{self.get_reason_display()}"


class CertificateStatus(models.TextChoices):
    VALID = "valid", "有效"
    VOID = "void", "作废"


class Certificate(models.Model):
    """合作医疗证: county code prefix + sequence. Reissue voids the old one."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="certificates")
    number = models.CharField("证号", max_length=20, unique=True)
    status = models.CharField("状态", max_length=8, choices=CertificateStatus.choices,
                              default=CertificateStatus.VALID)
    issued_at = models.DateTimeField("发证时间", auto_now_add=True)
    voided_at = models.DateTimeField("作废时间", null=True, blank=True)
    void_reason = models.CharField("作废原因", max_length=200, blank=True)
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="replaced_by")

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["household"], condition=Q(status="valid"),
                                    name="one_valid_certificate_per_household"),
        ]

    def __str__(self) -> str:
        return self.number


class NumberSequence(models.Model):
    """A named counter (household numbers per village, certificate numbers per county). Numbers are taken
    with one UPDATE … SET last = last + n, which the database serialises, so two clerks never get the same."""

    name = models.CharField(max_length=40, unique=True)
    last = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.last}"


class ImportStatus(models.TextChoices):
    PENDING = "pending", "排队中"
    RUNNING = "running", "导入中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"
    STALE = "stale", "中断"  # running, but no progress for NRCMS_IMPORT_STALE_MINUTES: the process was killed


class ImportJob(models.Model):
    """One upload of a township's roster: who, when, which file (by SHA-256), progress and the outcome."""

    township = models.ForeignKey(Region, verbose_name="乡镇", on_delete=models.PROTECT, related_name="+")
    scheme_year = models.PositiveSmallIntegerField("参合年度", null=True, blank=True)
    file_name = models.CharField("文件名", max_length=200)
    file_hash = models.CharField("文件 SHA-256", max_length=64, db_index=True)
    upload = models.FileField("上传文件", upload_to="imports/%Y/")
    created_by = models.ForeignKey("accounts.User", verbose_name="导入人", on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    heartbeat_at = models.DateTimeField("最近进展", null=True, blank=True)  # set at start and after every batch
    resumed_count = models.PositiveSmallIntegerField("续导次数", default=0)
    status = models.CharField("状态", max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    rows_total = models.PositiveIntegerField("总行数", default=0)
    rows_done = models.PositiveIntegerField("已处理行数", default=0)
    households_created = models.PositiveIntegerField("新建户数", default=0)
    persons_created = models.PositiveIntegerField("新建人数", default=0)
    households_unchanged = models.PositiveIntegerField("未变化户数", default=0)
    persons_enrolled = models.PositiveIntegerField("参合人数", default=0)
    rows_error = models.PositiveIntegerField("错误行数", default=0)
    message = models.CharField("说明", max_length=500, blank=True)
    error_report = models.FileField("错误报告", upload_to="imports/%Y/", blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "花名册导入"
        verbose_name_plural = "花名册导入"
        constraints = [
            models.CheckConstraint(name="import_progress_within_total",
                                   condition=Q(rows_done__lte=models.F("rows_total"))),
        ]

    def __str__(self) -> str:
        return f"{self.file_name}（{self.get_status_display()}）"

    @property
    def percent(self) -> int:
        return 100 if not self.rows_total else round(100 * self.rows_done / self.rows_total)

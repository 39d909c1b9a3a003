from django.db import models


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

from django.db import models
from django.db.models import Q


class RegionLevel(models.TextChoices):
    COUNTY = "county", "县（区、旗）"
    TOWNSHIP = "township", "乡镇（苏木）"
    VILLAGE = "village", "行政村（嘎查）"
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
        return "".join(r.name for r in [*self.ancestors(), self] if r.level != RegionLevel.COUNTY) or self.name

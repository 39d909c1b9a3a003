"""Reads about the county's region tree that pages need without a region in hand."""

from __future__ import annotations

from . import levels
from .models import Region, RegionLevel


def county_level_labels() -> dict[str, str]:
    """level code → what this county calls it (乡镇 / 苏木（乡镇） …), from the county's division code."""
    code = Region.objects.filter(level=RegionLevel.COUNTY).order_by("pk").values_list("code", flat=True).first()
    return levels.level_labels(code or "")


def county_level_choices() -> list[tuple[str, str]]:
    """(code, label) for a level picker, in the county's words."""
    labels = county_level_labels()
    return [(value, labels[value]) for value in RegionLevel.values]

"""What the county calls its levels: 乡镇 / 行政村 in most provinces, 苏木 / 嘎查 in Inner Mongolia.

The codes stored (county / township / village / group) are the same everywhere; only the words differ. Which
words a region's county uses follows from its statistical division code: the first two digits name the province
(GB/T 2260), and every region of one county shares them, so no query is needed. Inner Mongolia (15) has 旗,
苏木 and 嘎查 beside 县, 乡镇 and 村; its labels name both. Pure Python: no Django, no database."""

from __future__ import annotations

# provinces whose counties have 旗 / 苏木 / 嘎查 (GB/T 2260 province codes)
SUMU_PROVINCES = frozenset({"15"})  # 内蒙古自治区

DEFAULT_LABELS = {"county": "县（区）", "township": "乡镇", "village": "行政村", "group": "村民小组"}
SUMU_LABELS = {"county": "旗（县、区）", "township": "苏木（乡镇）", "village": "嘎查（行政村）", "group": "村民小组"}


def level_labels(code: str) -> dict[str, str]:
    """level code → label for the county whose (or one of whose regions') division code is `code`."""
    return SUMU_LABELS if (code or "")[:2] in SUMU_PROVINCES else DEFAULT_LABELS


def level_label(code: str, level: str) -> str:
    """The label of `level` in the county of division code `code`: level_label("610125100000", "township") → 乡镇."""
    return level_labels(code)[str(level)]

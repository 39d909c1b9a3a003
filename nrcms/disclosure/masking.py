"""Stricter masking for lists posted in public (村务公开栏, the public page): the given name becomes one ＊
whatever its length (张＊, 欧阳＊), and an ID number keeps only its first 4 and last 4 characters
(6101**********1234), so neither the birth date nor the county of birth can be read from a wall poster.
Pure functions, like nrcms/core/masking.py whose rules the staff pages keep."""

from __future__ import annotations

from nrcms.core.masking import MASK, mask_id

FULLWIDTH_STAR = "＊"
# 复姓 common enough to appear in a county's roster: the whole surname stays.
COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "令狐", "夏侯",
    "端木", "独孤", "南宫", "西门", "轩辕", "呼延", "万俟", "澹台", "申屠", "太史", "闻人", "赫连", "钟离"})


def mask_name(name: str | None) -> str:
    """张三丰 → 张＊; 欧阳娜娜 → 欧阳＊; a one-character name is only ＊."""
    text = (name or "").strip()
    if not text:
        return ""
    surname = text[:2] if len(text) > 2 and text[:2] in COMPOUND_SURNAMES else text[:1]
    if len(text) <= len(surname):
        return FULLWIDTH_STAR
    return surname + FULLWIDTH_STAR


def mask_id_public(number: str | None) -> str:
    """610125198001011234 → 6101**********1234; shorter numbers as nrcms/core/masking.mask_id."""
    text = (number or "").strip()
    if len(text) >= 15:
        return text[:4] + MASK * (len(text) - 8) + text[-4:]
    return mask_id(text)

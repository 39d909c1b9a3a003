"""Pinyin initials of a name, for searching by typing "zsf" for 张三丰. pypinyin reads characters by their
most common sound, which is wrong for many surnames (单 is shan, not dan), so the surname is read from a
table first; compound surnames (欧阳, 尉迟, 万俟) are matched before single ones."""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin

# Surname → its reading's initials. Only characters whose surname reading differs from pypinyin's default
# (or is ambiguous in its data) need an entry; the rest follow pypinyin.
SURNAME_INITIALS: dict[str, str] = {
    "尉迟": "yc", "万俟": "mq", "单于": "cy", "长孙": "zs", "令狐": "lh", "澹台": "tt", "宇文": "yw",
    "欧阳": "oy", "上官": "sg", "司马": "sm", "诸葛": "zg", "东方": "df", "皇甫": "hf", "公孙": "gs",
    "单": "s", "曾": "z", "区": "o", "仇": "q", "解": "x", "查": "z", "朴": "p", "乐": "y", "缪": "m",
    "盖": "g", "翟": "z", "覃": "q", "尉": "y", "长": "c", "种": "c", "秘": "b", "繁": "p", "召": "s",
    "员": "y", "折": "s", "句": "g", "阚": "k", "藏": "z", "沈": "s", "柏": "b", "华": "h", "任": "r",
    "纪": "j", "过": "g", "宁": "n", "盛": "s", "重": "c", "都": "d", "隗": "w", "洗": "x", "冼": "x",
    "么": "y", "车": "c", "薄": "b", "黑": "h", "能": "n", "贲": "b", "训": "x", "那": "n",
}
COMPOUND = sorted((s for s in SURNAME_INITIALS if len(s) > 1), key=len, reverse=True)


@lru_cache(maxsize=200_000)
def _initials(text: str) -> str:
    # Read as a whole so pypinyin's phrase table can pick the reading (长江 cj, 长 alone z).
    return "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors=lambda chars: list(chars))).lower()


def name_initials(name: str) -> str:
    """Lower-case first letters of each character's pinyin; non-Chinese letters kept, spaces dropped.
    The surname and the given name are read separately: surnames have their own readings, and given names
    repeat far more than whole names, so a county's roster needs few pypinyin calls."""
    name = "".join((name or "").split())
    if not name:
        return ""
    surname = next((s for s in COMPOUND if name.startswith(s)), name[0])
    head = SURNAME_INITIALS.get(surname) or _initials(surname)
    return head + _initials(name[len(surname):]) if len(name) > len(surname) else head

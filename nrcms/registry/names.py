"""Pinyin initials of a name, for searching by typing "zsf" for 张三丰. pypinyin reads characters by their
most common sound, which is wrong for many surnames (单 is shan, not dan), so the surname is read from a
table first; compound surnames (欧阳, 尉迟, 万俟) are matched before single ones."""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin

# Surname → its reading, one syllable each. Only characters whose surname reading differs from pypinyin's
# default (or is ambiguous in its data) need an entry; the rest follow pypinyin.
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "尉迟": ("yu", "chi"), "万俟": ("mo", "qi"), "单于": ("chan", "yu"), "长孙": ("zhang", "sun"),
    "令狐": ("ling", "hu"), "澹台": ("tan", "tai"), "宇文": ("yu", "wen"), "欧阳": ("ou", "yang"),
    "上官": ("shang", "guan"), "司马": ("si", "ma"), "诸葛": ("zhu", "ge"), "东方": ("dong", "fang"),
    "皇甫": ("huang", "fu"), "公孙": ("gong", "sun"),
    "单": ("shan",), "曾": ("zeng",), "区": ("ou",), "仇": ("qiu",), "解": ("xie",), "查": ("zha",),
    "朴": ("piao",), "乐": ("yue",), "缪": ("miao",), "盖": ("ge",), "翟": ("zhai",), "覃": ("qin",),
    "尉": ("yu",), "长": ("chang",), "种": ("chong",), "秘": ("bi",), "繁": ("po",), "召": ("shao",),
    "员": ("yun",), "折": ("she",), "句": ("gou",), "阚": ("kan",), "藏": ("zang",), "沈": ("shen",),
    "柏": ("bai",), "华": ("hua",), "任": ("ren",), "纪": ("ji",), "过": ("guo",), "宁": ("ning",),
    "盛": ("sheng",), "重": ("chong",), "都": ("du",), "隗": ("wei",), "洗": ("xian",), "冼": ("xian",),
    "么": ("yao",), "车": ("che",), "薄": ("bo",), "黑": ("hei",), "能": ("nai",), "贲": ("ben",),
    "训": ("xun",), "那": ("na",),
}
SURNAME_INITIALS: dict[str, str] = {s: "".join(syl[0] for syl in r) for s, r in SURNAME_READINGS.items()}
COMPOUND = sorted((s for s in SURNAME_READINGS if len(s) > 1), key=len, reverse=True)


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
    surname = _surname(name)
    head = SURNAME_INITIALS.get(surname) or _initials(surname)
    return head + _initials(name[len(surname):]) if len(name) > len(surname) else head


def _surname(name: str) -> str:
    return next((s for s in COMPOUND if name.startswith(s)), name[0])


@lru_cache(maxsize=10_000)
def _full(text: str) -> str:
    return "".join(lazy_pinyin(text, errors=lambda chars: list(chars))).lower()


def name_pinyin(name: str) -> str:
    """The whole name in toneless pinyin, surname by its surname reading (单晓明 shanxiaoming, not
    danxiaoming); non-Chinese letters kept, spaces dropped."""
    name = "".join((name or "").split())
    if not name:
        return ""
    surname = _surname(name)
    head = "".join(SURNAME_READINGS[surname]) if surname in SURNAME_READINGS else _full(surname)
    return head + _full(name[len(surname):])

import pytest

from nrcms.registry.names import name_initials


@pytest.mark.parametrize("name, initials", [
    ("张三丰", "zsf"), ("单雄信", "sxx"), ("曾国藩", "zgf"), ("区志坚", "ozj"), ("仇英", "qy"),
    ("解缙", "xj"), ("查良镛", "zly"), ("朴槿惠", "pjh"), ("乐嘉", "yj"), ("缪斌", "mb"), ("盖聂", "gn"),
    ("翟志刚", "zzg"), ("覃塘", "qt"), ("尉迟恭", "ycg"), ("万俟卨", "mqx"), ("欧阳修", "oyx"),
])
def test_surnames_read_as_surnames(name, initials):
    assert name_initials(name) == initials


def test_spaces_dropped_and_latin_letters_kept():
    assert name_initials("王 小明") == "wxm"
    assert name_initials("李A") == "la"
    assert name_initials("") == ""

"""The password policy (GB/T 22239 level 3, identification): length, character classes, no username or
name in pinyin, no common password. Django's validate_password runs these (AUTH_PASSWORD_VALIDATORS);
password history and expiry are in accounts/passwords.py. Each refusal is a Chinese sentence naming its rule.

Limits are read from settings when a password is checked, not when the validator is built, so a changed
setting (and a test's override_settings) takes effect at once."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.password_validation import CommonPasswordValidator as DjangoCommonPasswordValidator
from django.core.exceptions import ValidationError

from nrcms.registry.names import name_initials, name_pinyin

CHINESE_COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common_passwords_cn.txt"

# Names shorter than this are not looked for inside a password: two letters ("li", initials "zm") occur in
# too many unrelated passwords to be a reason for refusal.
SHORTEST_NAME_CHECKED = 3

CLASS_LABELS = {"upper": "大写字母", "lower": "小写字母", "digit": "数字", "symbol": "符号"}


def min_length() -> int:
    return settings.NRCMS_PASSWORD_MIN_LENGTH


def min_classes() -> int:
    return settings.NRCMS_PASSWORD_MIN_CLASSES


def character_classes(password: str) -> set[str]:
    """Which of the four classes the password uses. Only ASCII letters and digits count as letters and
    digits; anything else (punctuation, a space, a Chinese character) is a symbol."""
    found = set()
    for char in password:
        if "A" <= char <= "Z":
            found.add("upper")
        elif "a" <= char <= "z":
            found.add("lower")
        elif "0" <= char <= "9":
            found.add("digit")
        else:
            found.add("symbol")
    return found


class MinimumLengthValidator:
    def validate(self, password: str, user=None) -> None:
        if len(password) < min_length():
            raise ValidationError(f"长度不足：密码至少 {min_length()} 位（现为 {len(password)} 位）",
                                  code="password_too_short")

    def get_help_text(self) -> str:
        return f"至少 {min_length()} 位"


class CharacterClassValidator:
    def validate(self, password: str, user=None) -> None:
        used = character_classes(password)
        if len(used) < min_classes():
            have = "、".join(CLASS_LABELS[c] for c in CLASS_LABELS if c in used) or "无"
            raise ValidationError(
                f"字符种类不足：大写字母、小写字母、数字、符号四类中至少包含 {min_classes()} 类（现只有{have}）",
                code="password_too_few_classes")

    def get_help_text(self) -> str:
        return f"大写字母、小写字母、数字、符号四类中至少包含 {min_classes()} 类"


def personal_words(user) -> list[tuple[str, str]]:
    """(what, word) pairs a password may not contain: the username, the name's full pinyin and its initials,
    each lower case and at least SHORTEST_NAME_CHECKED letters long."""
    if user is None:
        return []
    name = getattr(user, "display_name", "") or ""
    words = [("用户名", (getattr(user, "username", "") or "").lower()),
             ("姓名拼音", name_pinyin(name)), ("姓名拼音首字母", name_initials(name))]
    seen, kept = set(), []
    for what, word in words:
        if len(word) >= SHORTEST_NAME_CHECKED and word.isascii() and word not in seen:
            seen.add(word)
            kept.append((what, word))
    return kept


class PersonalInfoValidator:
    def validate(self, password: str, user=None) -> None:
        lowered = password.lower()
        for what, word in personal_words(user):
            if word in lowered:
                raise ValidationError(f"含有个人信息：密码不能包含{what}“{word}”（不区分大小写）",
                                      code="password_contains_personal_info")

    def get_help_text(self) -> str:
        return "不能包含用户名、姓名的全拼或拼音首字母"


@cache
def chinese_common_passwords() -> frozenset[str]:
    lines = CHINESE_COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


COMMON_HELP = "不能是常用密码（如 123456、woaini1314、Admin@123456）"


class CommonPasswordValidator(DjangoCommonPasswordValidator):
    """Django's list of 20,000 common passwords plus data/common_passwords_cn.txt, case-insensitive."""

    def __init__(self):
        super().__init__()
        self.passwords = self.passwords | chinese_common_passwords()

    def validate(self, password: str, user=None) -> None:
        if password.lower().strip() in self.passwords:
            raise ValidationError("过于常见：该密码在常用密码表中，容易被猜中，请换一个", code="password_too_common")

    def get_help_text(self) -> str:
        return COMMON_HELP


def password_help() -> str:
    """One line for the password fields: every rule a new password must meet."""
    from .passwords import history_size

    rules = [MinimumLengthValidator().get_help_text(), CharacterClassValidator().get_help_text(),
             PersonalInfoValidator().get_help_text(), "不能是常用密码"]
    if history_size():
        rules.append(f"不能与最近 {history_size()} 次使用过的密码相同")
    return "；".join(rules)


def policy_summary() -> list[dict]:
    """The policy in force, read from settings, for the security page and the API."""
    from .passwords import history_size, max_age_days

    days = max_age_days()
    return [
        {"key": "min_length", "label": "最短长度", "value": f"{min_length()} 位",
         "setting": "NRCMS_PASSWORD_MIN_LENGTH"},
        {"key": "min_classes", "label": "字符种类", "value": CharacterClassValidator().get_help_text(),
         "setting": "NRCMS_PASSWORD_MIN_CLASSES"},
        {"key": "personal_info", "label": "个人信息", "value": PersonalInfoValidator().get_help_text(),
         "setting": ""},
        {"key": "common", "label": "常用密码", "value": COMMON_HELP, "setting": ""},
        {"key": "history", "label": "历史密码",
         "value": f"不能与最近 {history_size()} 次使用过的密码相同" if history_size() else "不检查",
         "setting": "NRCMS_PASSWORD_HISTORY"},
        {"key": "max_age_days", "label": "有效期",
         "value": f"{days} 天，到期后登录须先修改密码（接口令牌不受影响）" if days else "不限",
         "setting": "NRCMS_PASSWORD_MAX_AGE_DAYS"},
    ]

"""Issue #10: the password policy (GB/T 22239 level 3). Each rule refuses with a Chinese sentence naming it,
a good password passes, and the limits come from settings."""

import datetime as dt

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from nrcms.accounts.models import User
from nrcms.accounts.password_policy import (
    CommonPasswordValidator,
    PersonalInfoValidator,
    character_classes,
    password_help,
    policy_summary,
)
from nrcms.accounts.services import user_create
from nrcms.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db

GOOD = "Qiu-lan-7293"


def refusal(password: str, user: User | None = None) -> str:
    with pytest.raises(ValidationError) as exc:
        validate_password(password, user)
    return "；".join(exc.value.messages)


def person(name: str = "孙海燕", username: str = "ganting") -> User:
    return User(username=username, display_name=name)


def test_a_good_password_passes_every_rule():
    validate_password(GOOD, person())
    validate_password("Hx-demo-2026", person())  # the demo county's password (nrcms/demo/data/county.yaml)


def test_too_short_is_refused_naming_the_length(settings):
    assert "长度不足" in refusal("Ab-12345", person()) and "至少 10 位" in refusal("Ab-12345", person())
    settings.NRCMS_PASSWORD_MIN_LENGTH = 14
    assert "至少 14 位（现为 12 位）" in refusal(GOOD, person())


@pytest.mark.parametrize("password, have", [
    ("qiulanhaoyun", "小写字母"),
    ("qiulan729355", "小写字母、数字"),
    ("QIU-LAN-HAOYUN", "大写字母、符号"),
    ("7293-5518-04", "数字、符号"),
])
def test_fewer_than_three_character_classes_are_refused(password, have):
    message = refusal(password, person())
    assert "字符种类不足" in message and "至少包含 3 类" in message and f"现只有{have}" in message


def test_any_three_classes_pass_and_non_ascii_counts_as_a_symbol():
    for password in ("qiulan7293x!", "QIULAN7293X!", "Qiulan-haoyun", "Qiulan729355"):
        validate_password(password, person())
    assert character_classes("海燕qiu7") == {"symbol", "lower", "digit"}


def test_the_username_is_refused_in_any_case():
    message = refusal("GanTing-2026!", person())
    assert "含有个人信息" in message and "用户名“ganting”" in message


def test_the_name_in_full_pinyin_and_initials_is_refused():
    assert "姓名拼音“sunhaiyan”" in refusal("Sunhaiyan-2026", person())
    assert "姓名拼音首字母“shy”" in refusal("Shy@20261129", person())


def test_surnames_are_read_as_surnames_shan_and_zeng():
    # pypinyin reads 单 as dan and 曾 as ceng by default; as surnames they are shan and zeng.
    shan = person("单晓明", "clerk_a")
    assert "shanxiaoming" in refusal("Shanxiaoming-1", shan)
    validate_password("Danxiaoming-1", shan)
    zeng = person("曾国藩", "clerk_b")
    assert "zengguofan" in refusal("ZengGuofan#88", zeng)
    assert "“zgf”" in refusal("Zgf#88-lantern", zeng)


def test_two_letter_initials_are_not_looked_for():
    PersonalInfoValidator().validate("Zm-lantern-88", person("赵明", "auditor"))


@pytest.mark.parametrize("password", ["Admin@123456", "P@ssw0rd123", "1QAZ@wsx3edc", "Huawei@123"])
def test_common_passwords_are_refused_case_insensitively(password):
    assert "过于常见" in refusal(password, person())


@pytest.mark.parametrize("password", ["123456", "WOAINI1314", "qq123456", "A1234567", "Password", "admin123",
                                      "iloveyou"])
def test_the_chinese_list_and_djangos_list_are_both_used(password):
    with pytest.raises(ValidationError) as exc:
        CommonPasswordValidator().validate(password)
    assert "过于常见" in exc.value.messages[0]


def test_a_service_refusal_names_each_broken_rule_in_one_chinese_sentence(demo):
    with pytest.raises(ValidationFailed) as exc:
        user_create(actor=demo["admin"], username="newclerk", password="newclerk", role="township_clerk",
                    region=demo["ganting"].region, display_name="曾小红")
    message = exc.value.message
    assert exc.value.field == "password" and message.startswith("密码不符合要求：")
    assert "长度不足" in message and "字符种类不足" in message and "用户名“newclerk”" in message
    assert {d["code"] for d in exc.value.details} >= {"password_too_short", "password_too_few_classes",
                                                      "password_contains_personal_info"}


def test_the_policy_summary_reads_the_settings(settings):
    settings.NRCMS_PASSWORD_MIN_LENGTH = 12
    settings.NRCMS_PASSWORD_HISTORY = 8
    settings.NRCMS_PASSWORD_MAX_AGE_DAYS = 0
    summary = {row["key"]: row["value"] for row in policy_summary()}
    assert summary["min_length"] == "12 位" and "最近 8 次" in summary["history"]
    assert summary["max_age_days"] == "不限"
    assert "至少 12 位" in password_help() and "最近 8 次" in password_help()


def test_the_security_page_shows_the_policy_and_the_expired_accounts(client, login, demo, settings):
    settings.NRCMS_PASSWORD_MIN_LENGTH = 12
    User.objects.filter(username="yuxia").update(password_changed_at=timezone.now() - dt.timedelta(days=120))
    login("secadmin")
    html = client.get("/security/policy/").content.decode()
    assert "12 位" in html and "NRCMS_PASSWORD_HISTORY" in html and "不能与最近 5 次使用过的密码相同" in html
    expired = html.split('data-testid="expired-users"')[1]
    assert "yuxia" in expired and "ganting" not in expired
    assert 'href="/security/policy/"' in client.get("/").content.decode()
    login("ganting")
    assert client.get("/security/policy/").status_code == 403


def test_the_api_reads_the_policy(client, login, demo, settings):
    settings.NRCMS_PASSWORD_MAX_AGE_DAYS = 0
    login("ganting")
    body = client.get("/api/password-policy").json()
    assert body["min_length"] == 10 and body["min_classes"] == 3 and body["history"] == 5
    assert body["max_age_days"] == 0
    assert {"label": "有效期", "requirement": "不限", "setting": "NRCMS_PASSWORD_MAX_AGE_DAYS"} in body["rules"]

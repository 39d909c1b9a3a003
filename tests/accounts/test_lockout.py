"""Issue #10: the lockout counts every failed password exactly, per (account, address) and per account over
all addresses; refusals while locked check no password; an admin clears both kinds; all of it audited with
the client's address."""

import pytest
from django.utils import timezone

from nrcms.accounts.login import login_begin, login_finish, login_locks, user_unlock
from nrcms.accounts.models import AuditEntry, LoginAttempt, LoginThrottle
from nrcms.core.errors import Forbidden

pytestmark = pytest.mark.django_db


def counter(username: str, ip: str = "") -> int:
    row = LoginThrottle.objects.filter(username=username, ip=ip).first()
    return row.failures if row else 0


def test_failures_from_one_address_lock_the_account_from_that_address_only(demo, settings, fail_login):
    for _ in range(settings.NRCMS_LOGIN_MAX_FAILURES - 1):
        assert fail_login("ganting", "203.0.113.7").allowed
    assert login_locks(["ganting"]) == {}
    fail_login("ganting", "203.0.113.7")
    refused = login_begin(username="ganting", ip="203.0.113.7")
    assert not refused.allowed and refused.lock_kind == "address" and refused.locked_until > timezone.now()
    # The owner at the township office is not locked out by the stranger.
    assert login_begin(username="ganting", ip="10.1.1.5").allowed
    entry = AuditEntry.objects.filter(action="user.locked", object_id=str(demo["ganting"].pk)).latest("seq")
    assert entry.ip == "203.0.113.7" and "203.0.113.7" in entry.reason and entry.after["scope"] == "address"


def test_the_right_password_resets_its_address_count_but_not_the_account_wide_count(demo, settings, fail_login):
    for _ in range(settings.NRCMS_LOGIN_MAX_FAILURES - 1):
        fail_login("ganting", "10.1.1.5")
    fail_login("ganting", "10.9.9.9")
    charge = login_begin(username="ganting", ip="10.1.1.5")
    login_finish(charge=charge, user=demo["ganting"])
    assert counter("ganting", "10.1.1.5") == 0
    assert counter("ganting") == settings.NRCMS_LOGIN_MAX_FAILURES  # 4 + 1 failures stand, the success given back
    login = AuditEntry.objects.filter(action="user.login").latest("seq")
    assert login.actor_username == "ganting" and login.ip == "10.1.1.5"


def test_guesses_spread_over_many_addresses_lock_the_account_everywhere(demo, settings, fail_login):
    settings.NRCMS_LOGIN_ACCOUNT_MAX_FAILURES = 8
    for n in range(8):
        assert fail_login("admin", f"198.51.100.{n}").allowed
    refused = login_begin(username="admin", ip="10.1.1.1")
    assert not refused.allowed and refused.lock_kind == "account"
    entry = AuditEntry.objects.filter(action="user.locked", object_id=str(demo["admin"].pk)).latest("seq")
    assert entry.after == {"scope": "account"}


def test_tries_refused_by_an_address_lock_check_no_password_and_do_not_count_for_the_account(
        demo, settings, fail_login):
    for _ in range(settings.NRCMS_LOGIN_MAX_FAILURES + 20):
        fail_login("admin", "203.0.113.7")
    assert counter("admin", "203.0.113.7") == settings.NRCMS_LOGIN_MAX_FAILURES
    assert counter("admin") == settings.NRCMS_LOGIN_MAX_FAILURES  # one address cannot lock the admin everywhere
    assert login_begin(username="admin", ip="10.1.1.1").allowed
    # ... yet every try is kept for the auditors
    assert LoginAttempt.objects.filter(username="admin", ip="203.0.113.7").count() == 25


def test_a_lock_ends_after_its_minutes(demo, settings, fail_login):
    for _ in range(settings.NRCMS_LOGIN_MAX_FAILURES):
        fail_login("ganting", "203.0.113.7")
    LoginThrottle.objects.filter(username="ganting").update(locked_until=timezone.now())
    assert login_begin(username="ganting", ip="203.0.113.7").allowed
    assert counter("ganting", "203.0.113.7") == 1


def test_unlock_clears_both_kinds_and_is_audited_and_only_the_admin_may(demo, settings, fail_login):
    settings.NRCMS_LOGIN_ACCOUNT_MAX_FAILURES = 6
    for _ in range(settings.NRCMS_LOGIN_MAX_FAILURES):
        fail_login("ganting", "203.0.113.7")
    fail_login("ganting", "203.0.113.8")
    assert {r.ip for r in login_locks(["ganting"])["ganting"]} == {"203.0.113.7", ""}
    with pytest.raises(Forbidden):
        user_unlock(actor=demo["ganting"], user=demo["ganting"], reason="")
    with pytest.raises(Forbidden):  # 三员分立: unlocking is the security administrator's
        user_unlock(actor=demo["admin"], user=demo["ganting"], reason="")
    assert user_unlock(actor=demo["secadmin"], user=demo["ganting"], reason="本人来电核实", ip="10.0.0.1") == 2
    assert login_locks(["ganting"]) == {} and counter("ganting") == 0
    entry = AuditEntry.objects.filter(action="user.unlock").latest("seq")
    assert entry.before == {"locked": ["203.0.113.7", "全部地址"]} and entry.ip == "10.0.0.1"
    assert entry.actor_username == "secadmin" and entry.reason == "本人来电核实"


def test_login_page_locks_one_address_lets_another_in_and_audits_login_and_logout(client, demo, demo_password,
                                                                                  settings):
    for _ in range(settings.NRCMS_LOGIN_MAX_FAILURES):
        response = client.post("/login/", {"username": "ganting", "password": "wrong"}, REMOTE_ADDR="203.0.113.7")
        assert response.status_code == 200 and "用户名或密码不正确" in response.content.decode()
    response = client.post("/login/", {"username": "ganting", "password": demo_password}, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200 and "已被锁定" in response.content.decode()
    response = client.post("/login/", {"username": "ganting", "password": demo_password}, REMOTE_ADDR="10.1.1.5")
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="user.login").latest("seq").ip == "10.1.1.5"
    client.post("/logout/", REMOTE_ADDR="10.1.1.5")
    logout = AuditEntry.objects.filter(action="user.logout").latest("seq")
    assert logout.actor_username == "ganting" and logout.ip == "10.1.1.5"


def test_the_users_page_unlock_says_both_kinds_are_cleared(client, login, demo, fail_login, settings):
    for _ in range(settings.NRCMS_LOGIN_MAX_FAILURES):
        fail_login("yuxia", "203.0.113.7")
    login("secadmin")
    assert "地址 203.0.113.7" in client.get("/users/yuxia/").content.decode()
    response = client.post("/users/yuxia/unlock/", {"reason": "核实"}, follow=True)
    assert "按地址的锁定和账号全面锁定都已清除" in response.content.decode()
    assert login_locks(["yuxia"]) == {}

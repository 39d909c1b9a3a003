"""Issue #10: two-step sign-in. After the password, an enrolled account gives the 6-digit code of its
authenticator (computed here with pyotp from the device's secret, as the phone does) or a single-use recovery
code; a role that requires it cannot sign in without enrolling; wrong codes count toward the lockout."""

import re
import time

import pyotp
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from two_step import totp_code

from nrcms.accounts import totp, two_factor
from nrcms.accounts.models import AccountChangeRequest, AuditEntry, LoginThrottle, RecoveryCode, TotpDevice
from nrcms.accounts.services import user_create
from nrcms.core.errors import Forbidden, ValidationFailed

pytestmark = pytest.mark.django_db


def now_code(secret: str, offset: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + offset * 30)


def password_step(client, username: str, password: str, **extra):
    return client.post("/login/", {"username": username, "password": password}, **extra)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def audits(action: str, user) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, object_id=str(user.pk)).order_by("seq"))


def enrol_on_own_page(client, login, username: str) -> tuple[str, list[str]]:
    """An optional role enrols from the account menu: (the secret, the ten recovery codes shown once)."""
    login(username)
    page = client.get("/account/two-factor/enrol/")
    assert page.status_code == 200
    secret = TotpDevice.objects.get(user__username=username).secret
    assert totp.grouped_secret(secret) in page.content.decode()
    response = client.post("/account/two-factor/enrol/", {"code": now_code(secret)})
    assert response.status_code == 200
    codes = re.findall(r"<code>([A-Z0-9]{5}-[A-Z0-9]{5})</code>", response.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    client.logout()
    return secret, codes


def test_the_password_alone_does_not_sign_in_an_enrolled_account(client, demo, demo_password):
    response = password_step(client, "finance", demo_password)
    assert response.status_code == 302 and response["Location"] == "/login/verify/"
    assert not signed_in(client)
    # no page, no HTMX, no API by the half-signed-in session
    assert client.get("/")["Location"].startswith("/login/")
    htmx = client.get("/funding/ledger/", HTTP_HX_REQUEST="true")
    assert htmx.status_code == 401 and htmx["HX-Redirect"].startswith("/login/")
    assert client.get("/api/me").status_code == 401
    assert not audits("user.login", demo["finance"])


def test_the_right_code_completes_the_sign_in_and_is_recorded(client, demo, demo_password):
    password_step(client, "finance", demo_password)
    page = client.get("/login/verify/")
    assert page.status_code == 200 and "6 位验证码" in page.content.decode()
    response = client.post("/login/verify/", {"code": now_code(TotpDevice.objects.get(user=demo["finance"]).secret)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in(client) and client.get("/api/me").json()["username"] == "finance"
    (entry,) = audits("user.login", demo["finance"])
    assert entry.after == {"second_factor": "验证器验证码"}


def test_the_sign_in_returns_to_the_page_asked_for(client, demo, demo_password):
    client.post("/login/", {"username": "finance", "password": demo_password, "next": "/funding/ledger/"})
    secret = TotpDevice.objects.get(user=demo["finance"]).secret
    assert client.post("/login/verify/", {"code": now_code(secret)})["Location"] == "/funding/ledger/"


def test_a_wrong_code_is_refused_counted_and_audited(client, demo, demo_password):
    password_step(client, "finance", demo_password, REMOTE_ADDR="203.0.113.9")
    secret = TotpDevice.objects.get(user=demo["finance"]).secret
    wrong = f"{(int(now_code(secret)) + 1) % 1_000_000:06d}"
    response = client.post("/login/verify/", {"code": wrong}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 400 and "验证码不正确" in response.content.decode()
    assert not signed_in(client)
    assert LoginThrottle.objects.get(username="finance", ip="203.0.113.9").failures == 1
    (entry,) = audits("totp.failed", demo["finance"])
    assert entry.ip == "203.0.113.9" and entry.after == {"purpose": "登录"}


def test_a_code_of_the_wrong_shape_is_refused_without_a_charge(client, demo, demo_password):
    password_step(client, "finance", demo_password)
    response = client.post("/login/verify/", {"code": "12345"})
    assert response.status_code == 400 and "6 位数字" in response.content.decode()
    assert not LoginThrottle.objects.filter(username="finance", failures__gt=0).exists()


def test_knowing_the_password_buys_no_unlimited_code_guesses(client, demo, demo_password, settings):
    """The right password gives back only its own charge: the wrong codes before it still count, so
    password + guesses, again and again, still locks the account after the limit."""
    for _ in range(settings.NRCMS_LOGIN_MAX_FAILURES - 1):
        password_step(client, "finance", demo_password)
        client.post("/login/verify/", {"code": "000000"})
    password_step(client, "finance", demo_password)
    response = client.post("/login/verify/", {"code": "000001"})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "锁定" in client.get("/login/").content.decode()
    secret = TotpDevice.objects.get(user=demo["finance"]).secret
    # locked now: even the password and the right code are refused
    assert password_step(client, "finance", demo_password).status_code == 200
    assert client.post("/login/verify/", {"code": now_code(secret)})["Location"] == "/login/"
    assert not signed_in(client)
    assert any(e.after.get("scope") == "address" for e in audits("user.locked", demo["finance"]))


def test_the_same_code_is_not_accepted_twice(client, demo, demo_password):
    secret = TotpDevice.objects.get(user=demo["finance"]).secret
    code = now_code(secret)
    password_step(client, "finance", demo_password)
    assert client.post("/login/verify/", {"code": code})["Location"] == "/"
    client.logout()
    password_step(client, "finance", demo_password)
    response = client.post("/login/verify/", {"code": code})
    assert response.status_code == 400 and "已使用过" in response.content.decode()
    assert not signed_in(client)
    # a code of an earlier step than the last one used is refused as well
    assert totp.matching_step(secret, now_code(secret, -1),
                              after_step=TotpDevice.objects.get(user=demo["finance"]).last_used_step) is None


def test_a_recovery_code_works_once(client, login, demo, demo_password):
    _, codes = enrol_on_own_page(client, login, "ganting")
    password_step(client, "ganting", demo_password)
    response = client.post("/login/verify/", {"code": codes[3].lower()})
    assert response.status_code == 302 and signed_in(client)
    (used,) = audits("totp.recovery_code_used", demo["ganting"])
    assert used.after == {"remaining": 9}
    assert audits("user.login", demo["ganting"])[-1].after == {"second_factor": "恢复码"}
    client.logout()
    password_step(client, "ganting", demo_password)
    response = client.post("/login/verify/", {"code": codes[3]})
    assert response.status_code == 400 and not signed_in(client)
    assert client.post("/login/verify/", {"code": codes[4]}).status_code == 302


def test_new_recovery_codes_invalidate_the_old_ones(client, login, demo, demo_password):
    _, old = enrol_on_own_page(client, login, "ganting")
    login("ganting")
    response = client.post("/account/two-factor/recovery-codes/", {"code": totp_code("ganting")})
    new = re.findall(r"<code>([A-Z0-9]{5}-[A-Z0-9]{5})</code>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert RecoveryCode.objects.filter(user=demo["ganting"]).count() == 10
    assert audits("totp.recovery_codes_regenerate", demo["ganting"])
    client.logout()
    password_step(client, "ganting", demo_password)
    assert client.post("/login/verify/", {"code": old[0]}).status_code == 400
    assert client.post("/login/verify/", {"code": new[0]}).status_code == 302


def test_a_required_role_cannot_skip_enrolment(client, demo, demo_password):
    user_create(actor=None, username="finance2", password=demo_password, role="finance",
                display_name="新会计", region=demo["finance"].region)
    response = password_step(client, "finance2", demo_password)
    assert response.status_code == 302 and response["Location"] == "/login/enrol/"
    assert not signed_in(client)
    assert client.get("/")["Location"].startswith("/login/")
    assert client.get("/login/verify/")["Location"] == "/login/enrol/"
    page = client.get("/login/enrol/")
    assert page.status_code == 200 and "data:image/svg+xml" in page.content.decode()
    device = TotpDevice.objects.get(user__username="finance2")
    assert device.confirmed_at is None
    assert client.get("/login/enrol/").status_code == 200  # reloading keeps what was scanned
    assert TotpDevice.objects.get(user__username="finance2").secret == device.secret
    assert client.post("/login/enrol/", {"code": "000000"}).status_code == 400
    response = client.post("/login/enrol/", {"code": now_code(device.secret)})
    assert response.status_code == 200 and signed_in(client)
    assert len(re.findall(r"<code>[A-Z0-9]{5}-[A-Z0-9]{5}</code>", response.content.decode())) == 10
    user = TotpDevice.objects.get(user__username="finance2").user
    assert TotpDevice.objects.get(user=user).confirmed_at is not None
    assert [e.action for e in AuditEntry.objects.filter(object_id=str(user.pk), action__startswith="totp.")
            .order_by("seq")] == ["totp.enrol_start", "totp.failed", "totp.enrol"]
    assert client.get("/").status_code == 200


def test_an_optional_role_signs_in_with_the_password_alone(client, demo, demo_password):
    assert not two_factor.two_factor_required(demo["ganting"])
    response = password_step(client, "ganting", demo_password)
    assert response.status_code == 302 and response["Location"] == "/" and signed_in(client)
    assert client.get("/account/two-factor/").status_code == 200


def test_the_required_roles_are_a_setting(client, demo, demo_password, settings):
    settings.NRCMS_TOTP_REQUIRED_ROLES = ["township_clerk"]
    assert password_step(client, "ganting", demo_password)["Location"] == "/login/enrol/"


def test_a_signed_in_required_role_without_a_device_sees_only_the_enrolment_page(client, login, demo):
    login("reviewer")
    two_factor.device_remove(actor=demo["secadmin"], user=demo["reviewer"], reason="手机丢失，已电话核实身份")
    assert client.get("/")["Location"] == "/account/two-factor/enrol/"
    api = client.get("/api/me")
    assert api.status_code == 403 and api.json()["code"] == "two_factor_required"
    htmx = client.get("/", HTTP_HX_REQUEST="true")
    assert htmx["HX-Redirect"] == "/account/two-factor/enrol/"
    assert client.get("/account/two-factor/enrol/").status_code == 200


def test_an_optional_role_may_disable_it_a_required_role_may_not(client, login, demo, demo_password):
    enrol_on_own_page(client, login, "ganting")
    login("ganting")
    client.post("/account/two-factor/disable/", {"code": totp_code("ganting")})
    assert not TotpDevice.objects.filter(user=demo["ganting"]).exists()
    assert not RecoveryCode.objects.filter(user=demo["ganting"]).exists()
    assert audits("totp.disable", demo["ganting"])
    with pytest.raises(Forbidden):
        two_factor.totp_disable(user=demo["finance"], code="123456", ip=None)


def test_the_administrator_resets_a_users_two_factor(client, login, demo, demo_password):
    with pytest.raises(Forbidden):
        two_factor.totp_reset(actor=demo["ganting"], user=demo["finance"], reason="试试")
    with pytest.raises(ValidationFailed) as refused:
        two_factor.totp_reset(actor=demo["secadmin"], user=demo["finance"], reason=" ")
    assert refused.value.field == "reason" and "原因" in refused.value.message
    login("secadmin")
    assert "重置两步验证" in client.get("/users/finance/").content.decode()
    response = client.post("/users/finance/two-factor/reset/", {"reason": "本人手机丢失，已电话核实身份"})
    assert response.status_code == 302
    # finance pays out: the reset is a request until a second administrator approves it
    assert TotpDevice.objects.filter(user=demo["finance"]).exists() and not audits("totp.reset", demo["finance"])
    req = AccountChangeRequest.objects.get(target=demo["finance"], kind="reset_2fa", status="pending")
    assert f"重置申请 #{req.pk} 待另一位管理员批准" in client.get("/users/finance/").content.decode()
    login("admin")
    response = client.post(f"/account-requests/{req.pk}/decide/", {"decision": "approve", "reason": "已核实"})
    assert response.status_code == 302
    assert not TotpDevice.objects.filter(user=demo["finance"]).exists()
    (entry,) = audits("totp.reset", demo["finance"])
    assert entry.actor_username == "admin" and entry.reason == "本人手机丢失，已电话核实身份"
    assert f"#{req.pk}" in entry.authority and "secadmin 申请" in entry.authority
    # the finance officer enrols again at the next sign-in
    client.logout()
    assert password_step(client, "finance", demo_password)["Location"] == "/login/enrol/"


def test_the_api_shows_and_resets_two_factor_for_the_administrator(client, login, demo):
    login("ganting")
    assert client.get("/api/me/two-factor").json()["enrolled"] is False
    assert client.get("/api/users/finance/two-factor").status_code == 403
    login("secadmin")
    status = client.get("/api/users/finance/two-factor").json()
    assert status["enrolled"] is True and status["required"] is True
    refused = client.post("/api/users/finance/two-factor/reset", {"reason": ""}, content_type="application/json")
    assert refused.status_code == 422 and refused.json()["field"] == "reason"
    asked = client.post("/api/users/finance/two-factor/reset", {"reason": "手机丢失"},
                        content_type="application/json")
    assert asked.status_code == 200 and asked.json()["enrolled"] is True
    request_id = asked.json()["reset_request_id"]
    assert client.post(f"/api/account-requests/{request_id}/approve", {}, content_type="application/json"
                       ).status_code == 403  # not the one who asked
    login("admin")
    done = client.post(f"/api/account-requests/{request_id}/approve", {"reason": "已核实"},
                       content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "approved"
    login("secadmin")
    status = client.get("/api/users/finance/two-factor").json()
    assert status["enrolled"] is False and status["reset_request_id"] is None


def test_api_tokens_are_not_affected(client, demo):
    from nrcms.accounts.services import api_token_create

    _, key = api_token_create(actor=demo["secadmin"], user=demo["finance"], name="财务对账")
    response = Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200 and response.json()["username"] == "finance"


def test_the_pending_sign_in_expires(client, demo, demo_password, monkeypatch):
    from nrcms.web import views_two_factor

    password_step(client, "finance", demo_password)
    later = time.time() + views_two_factor.PENDING_SECONDS + 1
    monkeypatch.setattr(views_two_factor.time, "time", lambda: later)
    response = client.post("/login/verify/", {"code": "123456"})
    assert response["Location"] == "/login/"
    assert "超时" in client.get("/login/").content.decode()


def test_the_demo_devices_and_the_cli_code(demo, settings, capsys):
    from nrcms.demo.loader import load_data

    secret = load_data()["totp_secret"]
    enrolled = {d.user.username for d in TotpDevice.objects.filter(confirmed_at__isnull=False)}
    assert enrolled == {"admin", "secadmin", "auditadmin", "reviewer", "director", "finance"}
    assert all(d.secret == secret for d in TotpDevice.objects.all())
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("totp_code", user="finance")
    settings.DEBUG = True
    call_command("totp_code", user="finance")
    printed = capsys.readouterr().out.strip()
    assert printed in {now_code(secret, -1), now_code(secret), now_code(secret, 1)} and len(printed) == 6

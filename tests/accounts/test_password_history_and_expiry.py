"""Issue #10: the last NRCMS_PASSWORD_HISTORY passwords cannot come back (administrator resets count too),
and a password older than NRCMS_PASSWORD_MAX_AGE_DAYS sends its user to the password page."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from nrcms.accounts.models import PasswordHistory, User
from nrcms.accounts.services import api_token_create, password_change, user_create, user_reset_password
from nrcms.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db

PASSWORDS = [f"Lantern-{n}-blue" for n in range(8)]


def new_clerk(demo) -> User:
    return user_create(actor=demo["admin"], username="hist_clerk", password=PASSWORDS[0], role="township_clerk",
                       region=demo["ganting"].region, display_name="韩梅")


def change(user: User, old: str, new: str) -> None:
    password_change(user=user, old_password=old, new_password=new)


def test_the_last_five_passwords_are_refused_and_the_sixth_back_is_accepted(demo):
    user = new_clerk(demo)
    for old, new in zip(PASSWORDS[:5], PASSWORDS[1:6], strict=True):
        change(user, old, new)
    assert PasswordHistory.objects.filter(user=user).count() == 5  # PASSWORDS[1..5]; 0 forgotten
    for reused in PASSWORDS[1:5]:
        with pytest.raises(ValidationFailed) as exc:
            change(user, PASSWORDS[5], reused)
        assert exc.value.code == "password_reused" and exc.value.field == "new_password"
        assert "最近 5 次使用过的密码" in exc.value.message
    change(user, PASSWORDS[5], PASSWORDS[0])
    user.refresh_from_db()
    assert user.check_password(PASSWORDS[0])


def test_the_history_length_is_a_setting(demo, settings):
    settings.NRCMS_PASSWORD_HISTORY = 2
    user = new_clerk(demo)
    change(user, PASSWORDS[0], PASSWORDS[1])
    change(user, PASSWORDS[1], PASSWORDS[2])
    with pytest.raises(ValidationFailed, match="最近 2 次"):
        change(user, PASSWORDS[2], PASSWORDS[1])
    change(user, PASSWORDS[2], PASSWORDS[0])
    assert PasswordHistory.objects.filter(user=user).count() == 2


def test_an_administrator_reset_is_checked_against_and_kept_in_the_history(demo):
    user = new_clerk(demo)
    change(user, PASSWORDS[0], PASSWORDS[1])
    with pytest.raises(ValidationFailed) as exc:
        user_reset_password(actor=demo["secadmin"], user=user, new_password=PASSWORDS[0], reason="忘记密码")
    assert exc.value.code == "password_reused"
    _, temporary = user_reset_password(actor=demo["secadmin"], user=user, reason="忘记密码")
    assert PasswordHistory.objects.filter(user=user).count() == 3
    user.refresh_from_db()
    change(user, temporary, PASSWORDS[2])
    with pytest.raises(ValidationFailed, match="历史密码"):
        user_reset_password(actor=demo["secadmin"], user=user, new_password=temporary, reason="再次忘记")


def test_setting_a_password_stamps_when(demo):
    before = timezone.now()
    user = new_clerk(demo)
    assert user.password_changed_at >= before
    user.password_changed_at = before - dt.timedelta(days=200)
    user.save(update_fields=["password_changed_at"])
    change(user, PASSWORDS[0], PASSWORDS[1])
    user.refresh_from_db()
    assert user.password_changed_at >= before


def age(user: User, days: int) -> None:
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=days))


def test_an_expired_password_sends_every_page_to_the_password_page(client, login, demo, demo_password):
    user = login("ganting")
    assert client.get("/").status_code == 200
    age(user, 91)
    response = client.get("/regions/")
    assert response.status_code == 302 and response["Location"] == "/account/password/"
    page = client.get("/account/password/").content.decode()
    assert "密码已超过 90 天未修改，请修改密码" in page and 'data-testid="password-expired"' in page
    response = client.post("/account/password/", {"old_password": demo_password, "new_password": "Ganlu-river-2026",
                                                   "new_password2": "Ganlu-river-2026"})
    assert response.status_code == 302
    assert client.get("/regions/").status_code == 200


def test_ninety_days_are_still_valid_and_zero_days_means_never(client, login, demo, settings):
    user = login("ganting")
    age(user, 89)
    assert client.get("/regions/").status_code == 200
    age(user, 4000)
    settings.NRCMS_PASSWORD_MAX_AGE_DAYS = 0
    assert client.get("/regions/").status_code == 200
    settings.NRCMS_PASSWORD_MAX_AGE_DAYS = 30
    assert client.get("/regions/")["Location"] == "/account/password/"
    assert "密码已超过 30 天未修改" in client.get("/account/password/").content.decode()


def test_the_api_refuses_an_expired_session_but_not_a_token(client, login, demo):
    user = login("desk_county")
    age(user, 100)
    response = client.get("/api/me")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "password_expired" and "密码已超过 90 天未修改" in body["message"]
    _, key = api_token_create(actor=demo["secadmin"], user=demo["desk_county"], name="HIS 接口")
    client.logout()
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200 and response.json()["username"] == "desk_county"


def test_the_migration_starts_existing_accounts_now_with_their_password_in_history(demo):
    migration = importlib.import_module("nrcms.accounts.migrations.0006_password_history_and_age")
    User.objects.update(password_changed_at=timezone.now() - dt.timedelta(days=365))
    PasswordHistory.objects.all().delete()
    before = timezone.now()
    migration.existing_passwords_start_now(apps, None)
    assert not User.objects.filter(password_changed_at__lt=before).exists()
    admin = User.objects.get(username="admin")
    assert list(PasswordHistory.objects.filter(user=admin).values_list("password", flat=True)) == [admin.password]

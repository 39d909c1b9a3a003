"""Issue #10: an API token expires (default and longest lifetime from the settings), stops working while its
account is disabled or locked everywhere, and works only while its owner is bound to the facility or region
it was made for."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from nrcms.accounts.models import ApiToken, AuditEntry
from nrcms.accounts.services import api_token_create, api_token_user, user_set_active, user_update
from nrcms.core.errors import ValidationFailed
from nrcms.facilities.models import Facility

pytestmark = pytest.mark.django_db


def test_a_token_expires_by_default_after_the_configured_days(demo, settings):
    settings.NRCMS_API_TOKEN_DAYS = 90
    token, _ = api_token_create(actor=demo["secadmin"], user=demo["desk_county"], name="HIS")
    expected = timezone.localdate() + dt.timedelta(days=90)
    assert timezone.localtime(token.expires_at).date() == expected
    entry = AuditEntry.objects.filter(action="token.create").latest("seq")
    assert entry.after["bound_to"] == "H610125001" and entry.after["expires_at"].startswith(expected.isoformat())


def test_an_expiry_past_the_longest_lifetime_or_not_in_the_future_is_refused(demo, settings):
    settings.NRCMS_API_TOKEN_MAX_DAYS = 400
    today = timezone.localdate()
    for bad in (today + dt.timedelta(days=401), today, today - dt.timedelta(days=1)):
        with pytest.raises(ValidationFailed) as exc:
            api_token_create(actor=demo["secadmin"], user=demo["desk_county"], name="HIS", expires_on=bad)
        assert exc.value.field == "expires_on" and "到期" in exc.value.message + "有效期"
    token, _ = api_token_create(actor=demo["secadmin"], user=demo["desk_county"], name="HIS",
                                expires_on=today + dt.timedelta(days=400))
    assert timezone.localtime(token.expires_at).date() == today + dt.timedelta(days=400)


def test_an_expired_token_stops_working(demo):
    token, key = api_token_create(actor=demo["secadmin"], user=demo["desk_county"], name="HIS")
    assert api_token_user(key) == demo["desk_county"]
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert api_token_user(key) is None


def test_a_disabled_account_s_token_stops_and_works_again_when_enabled(demo):
    _, key = api_token_create(actor=demo["secadmin"], user=demo["desk_county"], name="HIS")
    user_set_active(actor=demo["admin"], user=demo["desk_county"], active=False, reason="离岗")
    assert api_token_user(key) is None
    user_set_active(actor=demo["admin"], user=demo["desk_county"], active=True, reason="返岗")
    assert api_token_user(key) == demo["desk_county"]


def test_an_account_locked_everywhere_stops_its_tokens_a_lock_from_one_address_does_not(
        demo, settings, fail_login):
    _, key = api_token_create(actor=demo["secadmin"], user=demo["desk_county"], name="HIS")
    for _ in range(settings.NRCMS_LOGIN_MAX_FAILURES):
        fail_login("desk_county", "203.0.113.7")
    assert api_token_user(key) == demo["desk_county"]  # a stranger cannot stop the hospital's system
    settings.NRCMS_LOGIN_ACCOUNT_MAX_FAILURES = settings.NRCMS_LOGIN_MAX_FAILURES + 1
    fail_login("desk_county", "203.0.113.8")
    assert api_token_user(key) is None


def test_a_token_stops_when_its_owner_moves_to_another_facility(demo):
    desk = demo["desk_county"]
    _, key = api_token_create(actor=demo["secadmin"], user=desk, name="县医院 HIS")
    other = Facility.objects.exclude(pk=desk.facility_id).first()
    home = desk.facility
    user_update(actor=demo["secadmin"], user=desk, role=desk.role, region=None, facility=other, reason="调岗")
    assert api_token_user(key) is None
    user_update(actor=demo["secadmin"], user=desk, role=desk.role, region=None, facility=home, reason="调回")
    assert api_token_user(key) == desk


def test_the_api_sets_and_refuses_an_expiry_and_shows_the_binding(client, login, demo, settings):
    login("secadmin")
    too_late = timezone.localdate() + dt.timedelta(days=settings.NRCMS_API_TOKEN_MAX_DAYS + 1)
    response = client.post("/api/tokens", {"username": "desk_ganting", "name": "卫生院 HIS",
                                           "expires_on": too_late.isoformat()}, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "expires_on"
    response = client.post("/api/tokens", {"username": "desk_ganting", "name": "卫生院 HIS",
                                           "expires_on": "2027-06-30"}, content_type="application/json")
    body = response.json()
    assert response.status_code == 201 and body["expires_at"].startswith("2027-06-30")
    assert body["bound_to"] == demo["desk_ganting"].facility.code


def test_the_page_and_the_cli_take_an_expiry(client, login, demo):
    login("secadmin")
    response = client.post("/tokens/", {"username": "desk_county", "name": "页面令牌", "expires_on": "2020-01-01"})
    assert response.status_code == 422 and "到期日必须晚于今天" in response.content.decode()
    response = client.post("/tokens/", {"username": "desk_county", "name": "页面令牌", "expires_on": "2027-03-31"})
    assert response.status_code == 200 and "2027-03-31" in client.get("/tokens/").content.decode()
    call_command("token_create", "desk_tcm", name="中医院接口", expires="2027-05-01", stdout=io.StringIO(),
                 stderr=io.StringIO())
    assert timezone.localtime(ApiToken.objects.get(name="中医院接口").expires_at).date() == dt.date(2027, 5, 1)
    with pytest.raises(CommandError, match="有效期最长"):
        call_command("token_create", "desk_tcm", name="x", expires="2099-01-01", stdout=io.StringIO())

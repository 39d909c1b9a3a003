"""Issue #9: API tokens on a page, in the API and on the command line: created (the key shown once), listed
with owner, created and last used, revoked with a reason."""

import io

import pytest
from django.core.management import CommandError, call_command

from nrcms.accounts.models import ApiToken, AuditEntry
from nrcms.accounts.services import api_token_create, api_token_revoke, api_token_user
from nrcms.core.errors import Forbidden, ValidationFailed

pytestmark = pytest.mark.django_db


def test_revoke_needs_a_reason_is_audited_and_the_key_stops_working(demo):
    token, key = api_token_create(actor=demo["secadmin"], user=demo["desk_county"], name="HIS 接口")
    with pytest.raises(ValidationFailed) as exc:
        api_token_revoke(actor=demo["secadmin"], token=token, reason="  ")
    assert exc.value.field == "reason"
    with pytest.raises(Forbidden):
        api_token_revoke(actor=demo["reviewer"], token=token, reason="泄露")
    api_token_revoke(actor=demo["secadmin"], token=token, reason="HIS 更换厂商")
    token.refresh_from_db()
    assert token.revoked_by == demo["secadmin"] and token.revoke_reason == "HIS 更换厂商"
    assert api_token_user(key) is None
    entry = AuditEntry.objects.filter(action="token.revoke").latest("seq")
    assert entry.reason == "HIS 更换厂商" and entry.facility_code == "H610125001"
    with pytest.raises(ValidationFailed) as exc:
        api_token_revoke(actor=demo["secadmin"], token=token, reason="再次")
    assert "已于" in exc.value.message


def test_page_creates_a_token_showing_the_key_once_and_revokes_it(client, login, demo):
    login("secadmin")
    response = client.post("/tokens/", {"username": "desk_county", "name": "户县医院HIS对接"})
    html = response.content.decode()
    key = html.split('data-testid="token-key">')[1].split("<")[0]
    listing = client.get("/tokens/").content.decode()
    assert key not in listing and "户县医院HIS对接" in listing and key[:8] in listing and "未使用" in listing
    assert api_token_user(key) == demo["desk_county"]
    assert "未使用" not in client.get("/tokens/").content.decode()  # last used: now
    token = ApiToken.objects.get(name="户县医院HIS对接")
    assert client.post(f"/tokens/{token.pk}/revoke/", {"reason": ""}).status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None  # no reason, no revocation
    client.post(f"/tokens/{token.pk}/revoke/", {"reason": "合同到期"})
    listing = client.get("/tokens/").content.decode()
    assert "已吊销" in listing and "合同到期" in listing
    assert "户县医院HIS对接" not in client.get("/tokens/?show=active").content.decode()


def test_page_refuses_a_missing_name_and_an_unknown_user(client, login):
    login("secadmin")
    response = client.post("/tokens/", {"username": "nobody", "name": "x"})
    assert response.status_code == 422 and "不存在或已停用" in response.content.decode()
    assert not ApiToken.objects.filter(name="x").exists()


def test_only_the_admin_sees_the_token_page(client, login):
    login("reviewer")
    assert client.get("/tokens/").status_code == 403


def test_the_api_lists_creates_and_revokes(client, login, demo):
    login("secadmin")
    response = client.post("/api/tokens", {"username": "desk_ganting", "name": "卫生院 HIS"},
                           content_type="application/json")
    assert response.status_code == 201
    created = response.json()
    assert created["key"].startswith("nr_") and created["username"] == "desk_ganting"
    listed = client.get("/api/tokens?username=desk_ganting").json()
    assert listed["total"] == 1 and "key" not in listed["items"][0]
    response = client.post(f"/api/tokens/{created['id']}/revoke", {"reason": ""}, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "reason"
    response = client.post(f"/api/tokens/{created['id']}/revoke", {"reason": "停用"},
                           content_type="application/json")
    assert response.status_code == 200 and response.json()["revoked_by"] == "secadmin"
    assert client.get("/api/tokens?active=true&username=desk_ganting").json()["total"] == 0


def test_cli_lists_and_revokes(demo):
    token, _ = api_token_create(actor=None, user=demo["desk_tcm"], name="中医院接口")
    out = io.StringIO()
    call_command("token_list", user="desk_tcm", stdout=out)
    assert "中医院接口" in out.getvalue() and token.prefix in out.getvalue() and "有效" in out.getvalue()
    out = io.StringIO()
    call_command("token_revoke", str(token.pk), reason="接口下线", stdout=out)
    assert "已吊销" in out.getvalue()
    token.refresh_from_db()
    assert token.revoke_reason == "接口下线"
    with pytest.raises(CommandError, match="已于"):
        call_command("token_revoke", token.prefix, reason="再次", stdout=io.StringIO())
    with pytest.raises(CommandError, match="未找到"):
        call_command("token_revoke", "99999", reason="x", stdout=io.StringIO())

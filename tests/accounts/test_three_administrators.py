"""Issue #10: 三员分立. The system administrator keeps accounts in existence and reads no residents' data, the
security administrator grants roles and credentials, the audit administrator reads the audit trail and nothing
else; an account that reviews, approves or pays out comes into force only with a second administrator."""

from __future__ import annotations

import pytest

from nrcms.accounts.account_decisions import account_request_approve, account_request_reject
from nrcms.accounts.models import AccountChangeRequest, AuditEntry, User
from nrcms.accounts.roles import APPROVAL_CAPABILITIES, APPROVAL_ROLES, CAPABILITIES, Cap, Role
from nrcms.accounts.services import (
    api_token_create,
    api_token_user,
    user_create,
    user_set_active,
    user_update,
)
from nrcms.core.errors import Forbidden, ValidationFailed
from nrcms.registry.models import Region

pytestmark = pytest.mark.django_db
PASSWORD = "Strong-pass-91"
COUNTY = "610125000000"


def county():
    return Region.objects.get(code=COUNTY)


def test_the_roles_needing_approval_are_derived_from_their_capabilities():
    for role, caps in CAPABILITIES.items():
        assert (role in APPROVAL_ROLES) == bool(caps & APPROVAL_CAPABILITIES), role
    assert {Role.COUNTY_REVIEWER, Role.COUNTY_DIRECTOR, Role.COMMITTEE, Role.FINANCE} <= APPROVAL_ROLES
    assert not {Role.TOWNSHIP_CLERK, Role.HOSPITAL_DESK, Role.AUDITOR, Role.AUDIT_ADMIN} & APPROVAL_ROLES


def test_no_administrator_holds_another_s_powers(demo):
    admin, sec, audit = demo["admin"], demo["secadmin"], demo["auditadmin"]
    assert not admin.can(Cap.REGISTRY_VIEW) and not admin.can(Cap.AUDIT_LOG) and not admin.can(Cap.USERS_GRANTS)
    assert not sec.can(Cap.USERS_ACCOUNTS) and not sec.can(Cap.AUDIT_LOG) and not sec.can(Cap.REGISTRY_VIEW)
    assert audit.capabilities == frozenset({Cap.AUDIT_LOG})


@pytest.mark.parametrize("path", ["/registry/households/", "/registry/persons/", "/audit/", "/audit/verify/",
                                  "/audit/?export=xlsx", "/regions/", "/tokens/", "/security/policy/"])
def test_the_system_administrator_is_refused_residents_data_and_the_audit_log_on_pages(client, login, path):
    login("admin")
    response = client.get(path)
    assert response.status_code == 403 and "无权" in response.content.decode()


def test_the_system_administrator_is_refused_the_audit_log_and_sees_no_residents_in_the_api(client, login):
    login("admin")
    for path in ("/api/audit", "/api/audit/verify", "/api/tokens"):
        response = client.get(path)
        assert response.status_code == 403 and response.json()["code"] == "forbidden", path
    for path in ("/api/registry/households", "/api/registry/persons?search=王"):
        response = client.get(path)
        assert response.status_code == 403 and response.json()["code"] == "forbidden", path
    assert client.get("/users/").status_code == 200 and client.get("/ops/backups/").status_code == 200


@pytest.mark.parametrize("path", ["/users/", "/users/ganting/", "/tokens/", "/account-requests/", "/regions/",
                                  "/registry/households/", "/registry/persons/", "/facilities/", "/ops/backups/",
                                  "/referrals/", "/security/policy/"])
def test_the_audit_administrator_reads_only_the_audit_pages(client, login, path):
    login("auditadmin")
    assert client.get(path).status_code in (403, 404), path


def test_the_audit_administrator_reads_verifies_and_exports_the_audit_log(client, login):
    login("auditadmin")
    assert client.get("/audit/").status_code == 200
    assert client.get("/audit/verify/").status_code == 200
    assert client.get("/audit/?export=xlsx")["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get("/api/audit").status_code == 200 and client.get("/api/audit/verify").json()["ok"]
    for path in ("/api/users", "/api/tokens", "/api/account-requests"):
        response = client.get(path)
        assert response.status_code == 403, path
    assert client.get("/api/registry/households").status_code == 403


def test_the_security_administrator_grants_but_does_not_create_or_disable(client, login, demo):
    login("secadmin")
    assert client.get("/users/new/").status_code == 403
    response = client.post("/users/ganting/active/", {"active": "0", "reason": "试"})
    assert response.status_code == 403
    page = client.get("/security/policy/").content.decode()
    assert "登录锁定与会话" in page and "连续失败次数" in page
    response = client.post("/api/users", {"username": "x9", "password": PASSWORD, "role": "township_clerk",
                                          "region_code": "610125100000"}, content_type="application/json")
    assert response.status_code == 403
    with pytest.raises(Forbidden) as exc:  # the name and phone are the system administrator's
        user_update(actor=demo["secadmin"], user=demo["ganting"], role="township_clerk",
                    region=demo["ganting"].region, facility=None, phone="13900000000", reason="改电话")
    assert "系统管理员" in exc.value.message


def test_the_system_administrator_cannot_change_roles_and_sees_the_fields_locked(client, login, demo):
    login("admin")
    html = client.get("/users/ganting/").content.decode()
    assert 'name="role" disabled' in html or "disabled" in html.split('name="role"')[1].split(">")[0]
    body = {"role": "village_clerk", "region_code": "610125100201", "reason": "调整"}
    response = client.put("/api/users/ganting", body, content_type="application/json")
    assert response.status_code == 403 and "安全管理员" in response.json()["message"]
    assert User.objects.get(username="ganting").role == Role.TOWNSHIP_CLERK
    for path in ("/users/ganting/password/", "/users/ganting/unlock/"):
        assert client.post(path, {"reason": "试"}).status_code == 403, path


def test_one_administrator_alone_cannot_create_a_reviewer_and_use_it(client, login, demo):
    login("admin")
    response = client.post("/api/users", {"username": "rev2", "password": PASSWORD, "role": "county_reviewer",
                                          "display_name": "新审核员", "region_code": COUNTY},
                           content_type="application/json")
    body = response.json()
    assert response.status_code == 201 and body["is_active"] is False and body["pending_request_id"]
    req = AccountChangeRequest.objects.get(pk=body["pending_request_id"])
    assert req.kind == "create" and req.status == "pending" and req.requested_by == demo["admin"]
    # the account cannot sign in ...
    client.logout()
    response = client.post("/login/", {"username": "rev2", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    # ... cannot be given an API token ...
    rev2 = User.objects.get(username="rev2")
    with pytest.raises(ValidationFailed):
        api_token_create(actor=demo["secadmin"], user=rev2, name="接口")
    # ... the requester can neither approve nor simply enable it
    login("admin")
    response = client.post(f"/api/account-requests/{req.pk}/approve", {}, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "separation_of_duties"
    assert "申请人不能审批" in response.json()["message"]
    response = client.post(f"/account-requests/{req.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 403
    with pytest.raises(ValidationFailed) as exc:
        user_set_active(actor=demo["admin"], user=rev2, active=True, reason="启用")
    assert exc.value.field == "is_active" and "批准" in exc.value.message
    rev2.refresh_from_db()
    assert not rev2.is_active and rev2.role == Role.COUNTY_REVIEWER
    # a second administrator approves: now it signs in (and must first set its own password)
    account_request_approve(actor=demo["secadmin"], request=req, reason="已核对任命文件")
    rev2.refresh_from_db()
    assert rev2.is_active and rev2.must_change_password
    _, key = api_token_create(actor=demo["secadmin"], user=rev2, name="接口")
    assert api_token_user(key) == rev2
    actions = list(AuditEntry.objects.filter(object_id=str(req.pk), object_type="accounts.accountchangerequest")
                   .values_list("action", "actor_username"))
    assert ("account_request.create", "admin") in actions and ("account_request.approve", "secadmin") in actions
    entry = AuditEntry.objects.filter(action="user.activate", object_id=str(rev2.pk)).latest("seq")
    assert entry.actor_username == "secadmin" and f"#{req.pk}" in entry.authority


def test_a_role_change_to_a_paying_role_waits_for_another_administrator(client, login, demo):
    ganting = demo["ganting"]
    _, key = api_token_create(actor=demo["secadmin"], user=ganting, name="乡镇接口")
    user_update(actor=demo["secadmin"], user=ganting, role=Role.FINANCE, region=county(), facility=None,
                reason="调财政局", authority="人事〔2026〕1号")
    ganting.refresh_from_db()
    assert ganting.role == Role.TOWNSHIP_CLERK and not ganting.can(Cap.FUND_DISBURSE)  # not in force yet
    assert api_token_user(key) == ganting
    req = AccountChangeRequest.objects.get(target=ganting, status="pending")
    with pytest.raises(Forbidden):
        account_request_approve(actor=demo["secadmin"], request=req)
    with pytest.raises(ValidationFailed) as exc:  # one pending request per account
        user_update(actor=demo["secadmin"], user=ganting, role=Role.VILLAGE_CLERK,
                    region=Region.objects.get(code="610125100201"), facility=None, reason="改主意")
    assert "待审批" in exc.value.message
    with pytest.raises(Forbidden):  # nor the other administrators
        account_request_approve(actor=demo["auditadmin"], request=req)
    account_request_approve(actor=demo["admin"], request=req)
    ganting.refresh_from_db()
    assert ganting.role == Role.FINANCE and ganting.region.code == COUNTY and ganting.can(Cap.FUND_DISBURSE)
    assert api_token_user(key) is None  # the token was bound to the township
    entry = AuditEntry.objects.filter(action="user.update", object_id=str(ganting.pk)).latest("seq")
    assert entry.before["role"] == "township_clerk" and entry.after["role"] == "finance"
    with pytest.raises(ValidationFailed):  # decided once
        account_request_reject(actor=demo["admin"], request=req, reason="再驳回")


def test_the_account_concerned_cannot_approve_its_own_request(demo):
    admin2 = user_create(actor=None, username="admin2", password=PASSWORD, role=Role.SYSTEM_ADMIN, region=county())
    user_update(actor=demo["secadmin"], user=admin2, role=Role.SECURITY_ADMIN, region=county(), facility=None,
                reason="改任安全管理员")
    req = AccountChangeRequest.objects.get(target=admin2, status="pending")
    with pytest.raises(Forbidden) as exc:
        account_request_approve(actor=admin2, request=req)
    assert "本人账号" in exc.value.message
    account_request_approve(actor=demo["admin"], request=req)
    admin2.refresh_from_db()
    assert admin2.role == Role.SECURITY_ADMIN


def test_a_rejected_account_stays_disabled_and_a_rejection_needs_a_reason(demo):
    user = user_create(actor=demo["admin"], username="dir2", password=PASSWORD, role=Role.COUNTY_DIRECTOR,
                       region=county())
    req = AccountChangeRequest.objects.get(target=user)
    with pytest.raises(ValidationFailed) as exc:
        account_request_reject(actor=demo["secadmin"], request=req, reason=" ")
    assert exc.value.field == "reason"
    account_request_reject(actor=demo["secadmin"], request=req, reason="无任命文件")
    req.refresh_from_db()
    assert req.status == "rejected" and req.decided_by == demo["secadmin"]
    with pytest.raises(ValidationFailed):
        user_set_active(actor=demo["admin"], user=user, active=True, reason="再试")
    entry = AuditEntry.objects.filter(action="account_request.reject").latest("seq")
    assert entry.reason == "无任命文件" and entry.actor_username == "secadmin"


def test_an_administrator_account_also_needs_a_second_administrator(demo):
    user = user_create(actor=demo["admin"], username="sec2", password=PASSWORD, role=Role.SECURITY_ADMIN,
                       region=county())
    assert not user.is_active and AccountChangeRequest.objects.filter(target=user, status="pending").exists()


def test_a_clerk_account_is_in_force_at_once_but_must_set_its_own_password(client, demo):
    user = user_create(actor=demo["admin"], username="clerk9", password=PASSWORD, role=Role.TOWNSHIP_CLERK,
                       region=Region.objects.get(code="610125100000"))
    assert user.is_active and user.must_change_password
    assert not AccountChangeRequest.objects.filter(target=user).exists()
    assert AuditEntry.objects.get(action="user.create", object_id=str(user.pk)).after["must_change_password"]
    response = client.post("/login/", {"username": "clerk9", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/")["Location"] == "/account/password/"
    assert client.get("/api/me").json()["code"] == "password_change_required"
    response = client.post("/account/password/", {"old_password": PASSWORD, "new_password": "Own-choice-2026",
                                                  "new_password2": "Own-choice-2026"})
    assert response.status_code == 302 and client.get("/").status_code == 200


def test_the_new_user_page_says_the_account_waits_and_the_approver_sees_it_on_home_and_decides(client, login,
                                                                                               demo):
    login("admin")
    data = {"username": "fin2", "display_name": "新会计", "role": "finance", "region_code": COUNTY,
            "facility_code": "", "password": "Page-pass-2026"}
    html = client.post("/users/new/", data, follow=True).content.decode()
    assert "须另一位管理员审批后才生效" in html and 'data-testid="pending-request"' in html
    assert "待我审批的账号申请：<b>0</b>" in client.get("/").content.decode()  # not the requester's to decide
    req = AccountChangeRequest.objects.get(target__username="fin2")
    assert f'action="/account-requests/{req.pk}/decide/"' not in client.get("/account-requests/").content.decode()
    login("secadmin")
    assert "待我审批的账号申请：<b>1</b>" in client.get("/").content.decode()
    page = client.get("/account-requests/").content.decode()
    assert f'action="/account-requests/{req.pk}/decide/"' in page and "fin2" in page
    html = client.post(f"/account-requests/{req.pk}/decide/", {"decision": "reject", "reason": ""},
                       follow=True).content.decode()
    assert "驳回申请必须填写原因" in html
    response = client.post(f"/account-requests/{req.pk}/decide/", {"decision": "approve", "reason": "同意"})
    assert response.status_code == 302 and User.objects.get(username="fin2").is_active
    assert client.get("/account-requests/?status=bogus").status_code == 400


def test_the_api_lists_and_rejects_requests(client, login, demo):
    user_create(actor=demo["admin"], username="com2", password=PASSWORD, role=Role.COMMITTEE, region=county())
    login("secadmin")
    items = client.get("/api/account-requests?status=pending").json()["items"]
    assert [i["username"] for i in items] == ["com2"] and items[0]["may_decide"] is True
    response = client.post(f"/api/account-requests/{items[0]['id']}/reject", {"reason": ""},
                           content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "reason"
    response = client.post(f"/api/account-requests/{items[0]['id']}/reject", {"reason": "重复申请"},
                           content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert client.get("/api/account-requests?status=nonsense").status_code in (400, 422)

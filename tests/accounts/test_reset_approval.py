"""Issue #10, separation of duties: one administrator cannot take over an existing account that reviews,
approves or pays out. Resetting its password or its two-step sign-in is a request that a second administrator
(never the requester, never the account itself) approves; the temporary password is generated at approval and
shown once, to the approver. Accounts of other roles are reset at once, as before."""

import pytest
from two_step import totp_code

from nrcms.accounts import two_factor
from nrcms.accounts.models import AccountChangeRequest, AuditEntry, TotpDevice, User
from nrcms.accounts.services import user_reset_password
from nrcms.core.errors import Forbidden, ValidationFailed

pytestmark = pytest.mark.django_db


def pending(user, kind):
    return AccountChangeRequest.objects.filter(target=user, kind=kind, status="pending").first()


def test_a_reviewers_password_reset_waits_for_a_second_administrator(client, login, demo, demo_password):
    login("secadmin")
    response = client.post("/users/reviewer/password/", {"reason": "本人电话申请，已核实身份"})
    assert response.status_code == 302 and response["Location"] == "/users/reviewer/"
    assert "须另一位管理员" in client.get("/users/reviewer/").content.decode()
    reviewer = User.objects.get(username="reviewer")
    assert reviewer.check_password(demo_password) and not reviewer.must_change_password  # nothing changed yet
    req = pending(reviewer, "reset_pw")
    assert req is not None and req.requested_by.username == "secadmin"
    assert not AuditEntry.objects.filter(action="user.reset_password", object_id=str(reviewer.pk)).exists()

    # the requester cannot approve his own request
    response = client.post(f"/account-requests/{req.pk}/decide/", {"decision": "approve", "reason": "我自己批"})
    assert response.status_code == 403
    login("admin")
    response = client.post(f"/account-requests/{req.pk}/decide/", {"decision": "approve", "reason": "已核实"})
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="temporary-password"' in html and f"#{req.pk}" in html
    shown = html.split('data-testid="temporary-password">')[1].split("<")[0]
    reviewer.refresh_from_db()
    assert reviewer.check_password(shown) and reviewer.must_change_password
    (entry,) = AuditEntry.objects.filter(action="user.reset_password", object_id=str(reviewer.pk))
    assert entry.actor_username == "admin" and f"#{req.pk}" in entry.authority
    assert shown not in str(entry.after) and shown not in client.get("/account-requests/?status=").content.decode()
    # the two-step device stays: the approver knows the password, not the phone's codes
    assert TotpDevice.objects.filter(user=reviewer).exists()


def test_one_administrator_alone_cannot_take_over_a_reviewer(demo, demo_password):
    secadmin, reviewer = demo["secadmin"], demo["reviewer"]
    _, password = user_reset_password(actor=secadmin, user=reviewer, reason="忘记密码")
    assert password == ""
    with pytest.raises(ValidationFailed, match="待审批"):
        two_factor.totp_reset(actor=secadmin, user=reviewer, reason="手机丢失")
    reviewer.refresh_from_db()
    assert reviewer.check_password(demo_password) and TotpDevice.objects.filter(user=reviewer).exists()
    # nor by naming the password himself
    pending(reviewer, "reset_pw").delete()
    with pytest.raises(ValidationFailed) as refused:
        user_reset_password(actor=secadmin, user=reviewer, new_password="Qz7-known-by-me", reason="忘记密码")
    assert refused.value.field == "new_password" and "另一位管理员" in refused.value.message
    with pytest.raises(Forbidden):
        from nrcms.accounts.account_decisions import account_request_approve

        assert two_factor.totp_reset(actor=secadmin, user=reviewer, reason="手机丢失") == "pending"
        account_request_approve(actor=secadmin, request=pending(reviewer, "reset_2fa"))
    assert TotpDevice.objects.filter(user=reviewer).exists()


def test_other_roles_are_reset_at_once(demo):
    _, password = user_reset_password(actor=demo["secadmin"], user=demo["ganting"], reason="忘记密码")
    assert password and User.objects.get(username="ganting").check_password(password)
    assert not AccountChangeRequest.objects.filter(target=demo["ganting"]).exists()


def test_the_api_opens_the_request_and_answers_the_password_to_the_approver_only(client, login, demo):
    login("secadmin")
    asked = client.post("/api/users/director/password-reset", {"reason": "忘记密码"}, content_type="application/json")
    data = asked.json()
    assert asked.status_code == 200 and data["temporary_password"] == "" and data["must_change_password"] is False
    request_id = data["pending_request_id"]
    assert AccountChangeRequest.objects.get(pk=request_id).kind == "reset_pw"
    login("admin")
    listed = client.get("/api/account-requests").json()["items"]
    assert {r["id"]: r["kind"] for r in listed}[request_id] == "reset_pw"
    approved = client.post(f"/api/account-requests/{request_id}/approve", {"reason": "已核实"},
                           content_type="application/json").json()
    assert User.objects.get(username="director").check_password(approved["temporary_password"])
    again = {r["id"]: r for r in client.get("/api/account-requests?status=").json()["items"]}[request_id]
    assert again["temporary_password"] == "" and again["status"] == "approved"


def test_the_owner_signs_in_with_the_approved_password_and_his_own_phone(client, demo):
    from nrcms.accounts.account_decisions import account_request_approve

    user_reset_password(actor=demo["secadmin"], user=demo["finance"], reason="忘记密码")
    req = account_request_approve(actor=demo["admin"], request=pending(demo["finance"], "reset_pw"))
    response = client.post("/login/", {"username": "finance", "password": req.temporary_password})
    assert response["Location"].startswith("/login/verify/")
    response = client.post("/login/verify/", {"code": totp_code("finance")})
    assert response.status_code == 302
    assert client.get("/")["Location"].startswith("/account/password/")  # he must set his own password first

"""Issue #9: the administrator resets a password (the user must change it before anything else), edits a
user's role, jurisdiction and phone (audited old → new), and sees and lifts a lockout."""

import pytest

from nrcms.accounts.login import login_locks
from nrcms.accounts.models import AuditEntry, LoginAttempt, User
from nrcms.accounts.services import password_change, user_reset_password, user_update
from nrcms.core.errors import Forbidden, ValidationFailed
from nrcms.facilities.models import Facility
from nrcms.registry.models import Region

pytestmark = pytest.mark.django_db


def test_reset_generates_a_temporary_password_that_must_be_changed_and_is_not_audited(demo, demo_password):
    user, password = user_reset_password(actor=demo["secadmin"], user=demo["ganting"], reason="本人电话申请")
    user.refresh_from_db()
    assert user.check_password(password) and not user.check_password(demo_password)
    assert user.must_change_password and len(password) == 12
    entry = AuditEntry.objects.filter(action="user.reset_password").latest("seq")
    assert entry.actor_username == "secadmin" and entry.reason == "本人电话申请"
    assert entry.object_id == str(user.pk) and password not in str(entry.after) + entry.reason
    password_change(user=user, old_password=password, new_password="Own-choice-2026")
    user.refresh_from_db()
    assert not user.must_change_password and user.check_password("Own-choice-2026")


def test_reset_with_a_chosen_password_checks_its_strength_and_clears_a_lockout(demo, settings, fail_login):
    settings.NRCMS_LOGIN_MAX_FAILURES = 2
    for _ in range(2):
        fail_login("yuxia")
    with pytest.raises(ValidationFailed) as exc:
        user_reset_password(actor=demo["secadmin"], user=demo["yuxia"], new_password="12345678")
    assert exc.value.field == "password" and "密码" in exc.value.message
    user_reset_password(actor=demo["secadmin"], user=demo["yuxia"], new_password="Temp-pass-2026")
    assert login_locks(["yuxia"]) == {}
    assert LoginAttempt.objects.filter(username="yuxia", succeeded=False).count() == 2  # the log stays


def test_only_the_admin_resets_and_not_their_own(demo):
    with pytest.raises(Forbidden):
        user_reset_password(actor=demo["reviewer"], user=demo["ganting"])
    with pytest.raises(ValidationFailed) as exc:
        user_reset_password(actor=demo["secadmin"], user=demo["secadmin"])
    assert "不能重置自己的密码" in exc.value.message


def test_the_new_password_must_differ_from_the_temporary_one(demo):
    user, password = user_reset_password(actor=demo["secadmin"], user=demo["ganting"], reason="忘记密码")
    with pytest.raises(ValidationFailed) as exc:
        password_change(user=user, old_password=password, new_password=password)
    assert exc.value.field == "new_password"


def test_after_a_reset_every_page_leads_to_the_password_page_until_changed(client, demo):
    _, password = user_reset_password(actor=demo["secadmin"], user=demo["ganting"], reason="忘记密码")
    response = client.post("/login/", {"username": "ganting", "password": password})
    assert response.status_code == 302
    for path in ("/", "/registry/households/", "/regions/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/account/password/", path
    page = client.get("/account/password/").content.decode()
    assert "管理员已重置您的密码" in page
    api = client.get("/api/me")
    assert api.status_code == 403 and api.json()["code"] == "password_change_required"
    response = client.post("/account/password/", {"old_password": password, "new_password": "Own-choice-2026",
                                                  "new_password2": "Own-choice-2026"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200 and client.get("/api/me").status_code == 200


def test_edit_moves_a_clerk_to_another_township_audited_with_old_and_new(demo):
    yuxia = Region.objects.get(code="610125101000")
    user_update(actor=demo["secadmin"], user=demo["ganting"], role="township_clerk", region=yuxia, facility=None,
                reason="调任余下镇", authority="县卫生局〔2026〕8号")
    entry = AuditEntry.objects.filter(action="user.update").latest("seq")
    assert entry.before["region"] == "610125100000" and entry.after["region"] == "610125101000"
    assert entry.reason == "调任余下镇" and entry.authority == "县卫生局〔2026〕8号"
    assert User.objects.get(username="ganting").region == yuxia
    ganting = User.objects.get(username="ganting")  # the phone is the system administrator's
    user_update(actor=demo["admin"], user=ganting, role=ganting.role, region=yuxia, facility=None,
                phone="029-84812345", reason="新电话")
    entry = AuditEntry.objects.filter(action="user.update").latest("seq")
    assert entry.before["phone"] == "" and entry.after["phone"] == "029-84812345"
    assert entry.actor_username == "admin"


def test_edit_refusals_name_the_field(demo):
    village = Region.objects.get(code="610125100201")
    with pytest.raises(ValidationFailed) as exc:
        user_update(actor=demo["secadmin"], user=demo["ganting"], role="township_clerk", region=village,
                    facility=None, reason="调整")
    assert exc.value.field == "region" and "只能绑定到乡镇" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        user_update(actor=demo["secadmin"], user=demo["ganting"], role="township_clerk", region=village.parent,
                    facility=None, reason=" ")
    assert exc.value.field == "reason"
    with pytest.raises(ValidationFailed) as exc:
        user_update(actor=demo["secadmin"], user=demo["secadmin"], role="auditor", region=demo["secadmin"].region,
                    facility=None, reason="调整")
    assert exc.value.field == "role" and "自己的角色" in exc.value.message


def test_an_unchanged_edit_writes_nothing(demo):
    before = AuditEntry.objects.count()
    desk = demo["desk_county"]
    user_update(actor=demo["admin"], user=desk, role=desk.role, region=None, facility=desk.facility,
                phone=desk.phone, reason="核对")
    assert AuditEntry.objects.count() == before


def test_edit_page_picks_the_jurisdiction_from_the_tree(client, login, demo):
    login("secadmin")
    html = client.get("/users/ganting/").content.decode()
    assert '<optgroup label="余下镇">' in html and "余下镇 / 定舟村" in html  # the tree, not a code to type
    assert 'value="610125100000" selected' in html
    data = {"display_name": "孙海燕", "role": "village_clerk", "region_code": "610125101000", "facility_code": "",
            "phone": "", "reason": "调任"}
    html = client.post("/users/ganting/", data).content.decode()
    assert "只能绑定到行政村" in html  # the service's sentence, on the region field
    data["region_code"] = "610125101202"
    assert client.post("/users/ganting/", data).status_code == 302
    assert User.objects.get(username="ganting").region.code == "610125101202"
    data["region_code"] = "999999999999"
    assert "不在区划树中" in client.post("/users/ganting/", data).content.decode()


def test_new_user_form_offers_facilities_to_choose(client, login):
    login("admin")
    html = client.get("/users/new/").content.decode()
    assert "户县人民医院（H610125001）" in html
    data = {"username": "desk2", "display_name": "新人", "role": "hospital_desk", "facility_code": "H610125001",
            "region_code": "", "password": "Page-pass-2026"}
    assert client.post("/users/new/", data).status_code == 302
    assert User.objects.get(username="desk2").facility == Facility.objects.get(code="H610125001")


def test_the_list_shows_a_locked_account_and_the_detail_unlocks_it(client, login, demo, settings, fail_login):
    settings.NRCMS_LOGIN_MAX_FAILURES = 2
    for _ in range(2):
        fail_login("yuxia")
    login("secadmin")
    html = client.get("/users/?q=yuxia").content.decode()
    assert 'data-testid="locked"' in html and "已锁定至" in html
    assert "已锁定" in client.get("/users/yuxia/").content.decode()
    response = client.post("/users/yuxia/unlock/", {"back": "detail", "reason": "本人核实"})
    assert response.status_code == 302 and response["Location"] == "/users/yuxia/"
    assert "未锁定" in client.get("/users/yuxia/").content.decode()
    assert 'data-testid="locked"' not in client.get("/users/?q=yuxia").content.decode()


def test_reset_page_shows_the_temporary_password_once(client, login, demo):
    login("secadmin")
    response = client.post("/users/donghan/password/", {"reason": "忘记密码"})
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="temporary-password"' in html
    shown = html.split('data-testid="temporary-password">')[1].split("<")[0]
    assert User.objects.get(username="donghan").check_password(shown)
    assert shown not in client.get("/users/donghan/").content.decode()
    response = client.post("/users/donghan/password/", {"reason": ""})
    assert response.status_code == 422 and 'data-testid="temporary-password"' not in response.content.decode()


def test_the_api_edits_resets_and_unlocks(client, login, demo):
    login("secadmin")
    body = {"role": "township_clerk", "region_code": "610125101000", "display_name": "孙海燕", "reason": "调任"}
    response = client.put("/api/users/ganting", body, content_type="application/json")
    assert response.status_code == 200 and response.json()["region_code"] == "610125101000"
    body["region_code"] = "610125999000"
    response = client.put("/api/users/ganting", body, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "region_code"
    response = client.post("/api/users/ganting/password-reset", {"reason": "忘记"}, content_type="application/json")
    data = response.json()
    assert response.status_code == 200 and data["must_change_password"] is True
    assert User.objects.get(username="ganting").check_password(data["temporary_password"])
    response = client.post("/api/users/ganting/unlock", {}, content_type="application/json")
    assert response.status_code == 200 and response.json()["locked_until"] is None

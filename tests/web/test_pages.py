import pytest

pytestmark = pytest.mark.django_db


def test_pages_require_login(client, demo):
    response = client.get("/regions/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_login_page_is_chinese_by_default(client, demo):
    html = client.get("/login/").content.decode()
    assert 'lang="zh-hans"' in html and "用户登录" in html


def test_english_can_be_chosen(client, demo):
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    html = client.get("/login/").content.decode()
    assert 'lang="en"' in html and "Sign in" in html


@pytest.mark.parametrize("username", ["admin", "reviewer", "director", "committee", "finance", "civil",
                                      "auditor", "ganting", "yuxia", "donghan", "desk_county", "desk_ganting"])
def test_every_demo_role_logs_in_and_sees_its_home(client, login, username):
    user = login(username)
    html = client.get("/").content.decode()
    assert user.get_role_display() in html and "工作台" in html


def test_wrong_password_says_so_and_locks_after_five(client, demo, settings):
    for _ in range(settings.NRCMS_LOGIN_MAX_FAILURES):
        html = client.post("/login/", {"username": "yuxia", "password": "wrong-one"}).content.decode()
        assert "用户名或密码不正确" in html
    html = client.post("/login/", {"username": "yuxia", "password": "wrong-one"}).content.decode()
    assert "锁定" in html


def test_locked_account_cannot_log_in_even_with_the_right_password(client, demo, demo_password, settings):
    for _ in range(settings.NRCMS_LOGIN_MAX_FAILURES):
        client.post("/login/", {"username": "yuxia", "password": "wrong-one"})
    response = client.post("/login/", {"username": "yuxia", "password": demo_password})
    assert response.status_code == 200 and "锁定" in response.content.decode()


def test_township_clerk_region_page_lists_only_own_township(client, login):
    login("ganting")
    html = client.get("/regions/").content.decode()
    assert "东韩村" in html and "余下村" not in html
    assert client.get("/regions/610125101000/").status_code == 404


def test_forbidden_page_answers_403_in_chinese(client, login):
    login("ganting")
    response = client.get("/audit/")
    assert response.status_code == 403 and "无权" in response.content.decode()


def test_audit_page_searches_and_exports(client, login):
    login("auditor")
    html = client.get("/audit/?action=user.create").content.decode()
    table = html[html.index('data-testid="audit-table"'):]
    assert "新建用户" in table and "user.create" in table and "region.create" not in table
    response = client.get("/audit/?action=user.create&export=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    from io import BytesIO

    from openpyxl import load_workbook

    from nrcms.demo.loader import load_data

    ws = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    assert ws.cell(1, 1).value == "序号" and ws.max_row == 1 + len(load_data()["users"])  # header + each demo login
    assert "哈希链完整" in client.get("/audit/verify/").content.decode()


def test_admin_creates_a_user_from_the_page_and_sees_field_errors(client, login):
    login("admin")
    data = {"username": "p1", "display_name": "页面", "role": "village_clerk", "region_code": "610125100000",
            "password": "Page-pass-2026"}
    html = client.post("/users/new/", data).content.decode()
    assert "只能绑定到行政村" in html
    data["region_code"] = "610125100202"
    assert client.post("/users/new/", data).status_code == 302


def test_password_change_keeps_the_session(client, login, demo_password):
    login("ganting")
    response = client.post("/account/password/", {"old_password": demo_password,
                                                  "new_password": "Changed-pass-77",
                                                  "new_password2": "Changed-pass-77"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_a_malformed_date_filter_is_reported_not_a_crash(client, login):
    login("auditor")
    response = client.get("/audit/?date_from=2099-13-45&date_to=2026-11-30")
    body = response.content.decode()
    assert response.status_code == 400
    assert "起始日期“2099-13-45”不是有效日期" in body and "审计" in body

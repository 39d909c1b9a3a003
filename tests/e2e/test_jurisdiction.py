import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_township_clerk_sees_only_own_township(page, live_server, browser_login, shot):
    browser_login("ganting")
    expect(page.get_by_test_id("jurisdiction")).to_have_text("甘亭镇")
    assert "东韩村" in page.get_by_test_id("child-regions").inner_text()
    shot(page, "home-township-clerk")
    # the menu offers the registry, not the audit trail or user management
    assert page.locator("[data-menu=region_list]").count() == 1
    assert page.locator("[data-menu=audit_list]").count() == 0
    page.click("[data-menu=region_list]")
    table = page.get_by_test_id("region-table").inner_text()
    assert "东韩村" in table and "余下镇" not in table and "余下村" not in table
    shot(page, "regions-township-clerk")
    response = page.goto(f"{live_server.url}/regions/610125101000/")
    assert response.status == 404 and "不在您的管辖范围内" in page.content()


def test_hospital_desk_sees_only_own_facility(page, live_server, browser_login, shot):
    browser_login("desk_county")
    expect(page.get_by_test_id("jurisdiction")).to_have_text("户县人民医院")
    assert page.locator("[data-menu=region_list]").count() == 0
    page.click("[data-menu=facility_list]")
    table = page.get_by_test_id("facility-table").inner_text()
    assert "户县人民医院" in table and "甘亭镇中心卫生院" not in table and "户县中医医院" not in table
    shot(page, "facilities-hospital-desk")
    assert page.goto(f"{live_server.url}/facilities/H610125101/").status == 404
    assert page.goto(f"{live_server.url}/regions/").status == 403


def test_auditor_verifies_the_chain_from_the_page(page, live_server, browser_login, shot):
    browser_login("auditor")
    page.click("[data-menu=audit_list]")
    page.select_option("select[name=action]", label="新建用户")  # actions are chosen by their Chinese name
    page.get_by_role("button", name="查询").click()
    table = page.get_by_test_id("audit-table").inner_text()
    assert "新建用户" in table and "user.create" in table
    page.get_by_role("button", name="校验哈希链").click()
    assert "哈希链完整" in page.get_by_test_id("verify-ok").inner_text()
    shot(page, "audit-auditor")


def test_wrong_password_shows_a_chinese_message(page, live_server, demo, shot):
    page.goto(f"{live_server.url}/login/")
    shot(page, "login")
    page.fill("input[name=username]", "ganting")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert "用户名或密码不正确" in page.locator(".errors").inner_text()

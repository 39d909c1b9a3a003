"""Issue #9 in a browser: the security administrator resets a user's password; the user logs in with the
temporary password and is made to choose a new one before anything else. Issue #10: the system administrator
creates a reviewer, which only a second administrator's approval brings into force."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _keep(path: Path) -> None:
    """The screenshot is in test-artifacts/ already (the shot fixture): check that it was written."""
    assert path.exists() and path.stat().st_size > 0


def test_admin_resets_a_password_and_the_user_must_change_it(page, live_server, browser_login, shot):
    browser_login("secadmin")
    page.click("[data-menu=user_list]")
    assert "ganting" in page.get_by_test_id("user-table").inner_text()
    _keep(shot(page, "users-list-admin"))
    page.click("[data-user=ganting] >> text=修改")
    page.wait_for_url(f"{live_server.url}/users/ganting/")
    # the jurisdiction is chosen from the tree, not typed
    assert page.locator("select[name=region_code] optgroup[label=余下镇]").count() == 1
    _keep(shot(page, "user-detail-admin"))
    form = page.get_by_test_id("reset-password")
    form.locator("input[name=reason]").fill("本人电话申请，已核实身份")
    form.get_by_role("button", name="重置密码").click()
    temporary = page.get_by_test_id("temporary-password").inner_text().strip()
    assert len(temporary) == 12
    _keep(shot(page, "user-password-reset"))
    page.locator("form[action='/logout/'] button").click()

    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "ganting")
    page.fill("input[name=password]", temporary)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/account/password/")
    assert "管理员已重置您的密码" in page.get_by_test_id("must-change").inner_text()
    page.goto(f"{live_server.url}/registry/households/")  # any other page leads back
    page.wait_for_url(f"{live_server.url}/account/password/")
    _keep(shot(page, "password-must-change"))
    page.fill("input[name=old_password]", temporary)
    page.fill("input[name=new_password]", "River-own-2026")
    page.fill("input[name=new_password2]", "River-own-2026")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_test_id("jurisdiction")).to_have_text("甘亭镇")
    page.goto(f"{live_server.url}/registry/households/")
    assert page.url == f"{live_server.url}/registry/households/"


def test_admin_creates_and_revokes_a_token_and_loads_regions(page, live_server, browser_login, shot, tmp_path):
    browser_login("secadmin")
    page.click("[data-menu=token_list]")
    page.select_option("select[name=username]", "desk_county")
    page.fill("input[name=name]", "户县医院HIS对接")
    page.get_by_role("button", name="创建令牌").click()
    assert page.get_by_test_id("token-key").inner_text().startswith("nr_")
    _keep(shot(page, "tokens-created"))
    row = page.get_by_test_id("token-table").locator("tr", has_text="户县医院HIS对接")
    row.locator("input[name=reason]").fill("合同到期")
    row.get_by_role("button", name="吊销").click()
    assert "合同到期" in page.get_by_test_id("token-table").inner_text()
    _keep(shot(page, "tokens-revoked"))
    page.locator("form[action='/logout/'] button").click()

    browser_login("admin")  # the division codes are the system administrator's

    csv = tmp_path / "户县区划.csv"
    csv.write_text("统计用区划代码,名称,城乡分类代码\n610125100203,南关社区,111\n610125199201,错村,220\n",
                   encoding="utf-8")
    page.click("[data-menu=regions_load]")
    page.set_input_files("input[name=file]", str(csv))
    page.get_by_role("button", name="载入").click()
    summary = page.get_by_test_id("regions-load-summary").inner_text()
    assert "改名 1" in summary and "拒绝 1" in summary
    assert "南关社区" in page.get_by_test_id("regions-renamed").inner_text()
    _keep(shot(page, "regions-load-report"))


def test_a_reviewer_account_waits_for_a_second_administrator(page, live_server, browser_login, shot):
    browser_login("admin")
    page.goto(f"{live_server.url}/users/new/")
    page.fill("input[name=username]", "rev_new")
    page.fill("input[name=display_name]", "新审核员")
    page.select_option("select[name=role]", "county_reviewer")
    page.select_option("select[name=region_code]", "610125000000")
    page.fill("input[name=password]", "Browser-pass-2026")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{live_server.url}/users/")
    assert "须另一位管理员审批后才生效" in page.locator("body").inner_text()
    _keep(shot(page, "user-created-pending"))
    page.goto(f"{live_server.url}/account-requests/")
    row = page.get_by_test_id("account-requests").locator("tr", has_text="rev_new")
    assert "须由另一位管理员审批" in row.inner_text() and row.get_by_role("button", name="批准").count() == 0
    page.locator("form[action='/logout/'] button").click()

    browser_login("secadmin")
    assert "待我审批的账号申请：1" in page.get_by_test_id("home-account-requests").inner_text()
    page.click("[data-menu=account_request_list]")
    row = page.get_by_test_id("account-requests").locator("tr", has_text="rev_new")
    row.locator("input[name=reason]").fill("已核对任命文件")
    _keep(shot(page, "account-requests-pending"))
    row.get_by_role("button", name="批准").click()
    assert "已批准申请" in page.locator("body").inner_text()
    _keep(shot(page, "account-requests-approved"))

"""Issue #10 in a browser: the finance officer signs in with the password and then the code of the phone's
authenticator; a new reviewer must bind an authenticator (QR code and secret on the page) before anything else
and is shown the recovery codes once; a township clerk turns two-step on from the account menu."""

import re
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _keep(path: Path) -> None:
    """The screenshot is in test-artifacts/ already (the shot fixture): check that it was written."""
    assert path.exists() and path.stat().st_size > 0


def _password(page, live_server, username, password):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_finance_signs_in_with_password_and_code(page, live_server, demo, demo_password, shot):
    from nrcms.accounts.models import TotpDevice

    _password(page, live_server, "finance", demo_password)
    page.wait_for_url(f"{live_server.url}/login/verify/")
    assert page.get_by_test_id("second-step").is_visible()
    page.fill("input[name=code]", "000000")
    page.click("button[type=submit]")
    assert "验证码不正确" in page.locator(".errors").inner_text()
    _keep(shot(page, "two-factor-verify-wrong-code"))
    page.goto(f"{live_server.url}/funding/ledger/")  # not signed in yet: back to the login page
    page.wait_for_url("**/login/**")
    _password(page, live_server, "finance", demo_password)
    page.wait_for_url(f"{live_server.url}/login/verify/")
    page.fill("input[name=code]", pyotp.TOTP(TotpDevice.objects.get(user__username="finance").secret).now())
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_test_id("two-factor-link").is_visible()


def test_a_new_reviewer_must_enrol_and_sees_the_recovery_codes_once(page, live_server, demo, demo_password, shot):
    from nrcms.accounts.services import user_create

    user_create(actor=None, username="reviewer2", password=demo_password, role="county_reviewer",
                display_name="新审核员", region=demo["reviewer"].region)
    _password(page, live_server, "reviewer2", demo_password)
    page.wait_for_url(f"{live_server.url}/login/enrol/")
    assert page.get_by_test_id("enrol-required").is_visible()
    qr = page.get_by_test_id("totp-qr")
    assert qr.get_attribute("src").startswith("data:image/svg+xml") and qr.evaluate("i => i.naturalWidth") > 0
    _keep(shot(page, "two-factor-enrol-required"))
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.click("button[type=submit]")
    codes = page.get_by_test_id("recovery-codes").inner_text()
    assert len(re.findall(r"[A-Z0-9]{5}-[A-Z0-9]{5}", codes)) == 10
    _keep(shot(page, "two-factor-recovery-codes"))
    page.get_by_test_id("continue").click()
    page.wait_for_url(f"{live_server.url}/")


def test_a_clerk_turns_two_step_on_from_the_account_menu(page, live_server, browser_login, shot):
    browser_login("ganting")
    page.get_by_test_id("two-factor-link").click()
    page.wait_for_url(f"{live_server.url}/account/two-factor/")
    assert "未启用" in page.get_by_test_id("two-factor-status").inner_text()
    _keep(shot(page, "two-factor-account-off"))
    page.get_by_test_id("enrol").click()
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.get_by_role("button", name="确认绑定").click()
    page.get_by_test_id("recovery-codes").wait_for()
    page.goto(f"{live_server.url}/account/two-factor/")
    assert "已启用" in page.get_by_test_id("two-factor-status").inner_text()
    expect(page.get_by_test_id("codes-left")).to_have_text("10")
    _keep(shot(page, "two-factor-account-on"))


def test_the_administrator_sees_and_resets_two_step(page, live_server, browser_login, shot):
    browser_login("secadmin")
    page.goto(f"{live_server.url}/users/finance/")
    assert "已启用" in page.get_by_test_id("two-factor-status").inner_text()
    form = page.get_by_test_id("two-factor-reset")
    form.locator("input[name=reason]").fill("本人手机丢失，已电话核实身份")
    form.get_by_role("button", name="重置两步验证").click()
    page.wait_for_url(f"{live_server.url}/users/finance/")
    # finance pays out: a second administrator must approve the reset
    assert "已提交重置申请" in page.locator(".messages").inner_text()
    assert "待另一位管理员批准" in page.get_by_test_id("two-factor-status").inner_text()
    _keep(shot(page, "two-factor-admin-reset-requested"))
    page.locator("form[action='/logout/'] button").click()
    browser_login("admin")
    page.goto(f"{live_server.url}/account-requests/")
    row = page.locator("tr", has_text="重置两步验证").filter(has_text="finance")
    row.locator("input[name=reason]").fill("已电话核实")
    row.get_by_role("button", name="批准").click()
    page.wait_for_url(f"{live_server.url}/account-requests/")
    assert "已批准申请" in page.locator(".messages").inner_text()
    page.goto(f"{live_server.url}/users/finance/")
    assert "未启用" in page.get_by_test_id("two-factor-status").inner_text()
    _keep(shot(page, "two-factor-admin-reset"))

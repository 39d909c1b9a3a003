"""Issue #10 in a browser: a user whose password is older than 90 days signs in, is sent to the password page
with the reason, is told which rule a weak password breaks, and continues after choosing a good one."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from nrcms.accounts.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_expired_password_must_be_changed_before_anything_else(page, live_server, demo, demo_password, shot):
    User.objects.filter(username="ganting").update(password_changed_at=timezone.now() - dt.timedelta(days=91))
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "ganting")
    page.fill("input[name=password]", demo_password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/account/password/")
    expect(page.get_by_test_id("password-expired")).to_have_text("密码已超过 90 天未修改，请修改密码")
    page.goto(f"{live_server.url}/registry/households/")  # any other page leads back
    page.wait_for_url(f"{live_server.url}/account/password/")
    page.fill("input[name=old_password]", demo_password)
    page.fill("input[name=new_password]", "sunhaiyan2026")
    page.fill("input[name=new_password2]", "sunhaiyan2026")
    page.get_by_role("button", name="保存").click()
    error = page.locator(".field.has-error .error").inner_text()
    assert "字符种类不足" in error and "姓名拼音“sunhaiyan”" in error
    shot(page, "password-expired-refused")
    page.fill("input[name=old_password]", demo_password)
    page.fill("input[name=new_password]", "River-bend-2026")
    page.fill("input[name=new_password2]", "River-bend-2026")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_test_id("jurisdiction")).to_have_text("甘亭镇")

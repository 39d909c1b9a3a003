"""A desk clerk's session ends while the desk page is open; the next HTMX lookup takes the whole window to
the login page, which says so, and logging in again comes back to the desk page."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_expired_session_during_htmx_lookup_goes_to_login_and_back(page, live_server, browser_login, shot,
                                                                   demo_password):
    browser_login("desk_county")
    page.goto(f"{live_server.url}/desk/?status=admitted")
    page.fill("input[name=certificate_number]", "61012599990777")
    page.context.clear_cookies(name="sessionid")  # the session ended (idle timeout, or closed elsewhere)
    page.get_by_role("button", name="查询").first.click()

    page.wait_for_url("**/login/**")
    notice = page.get_by_test_id("session-expired")
    assert notice.inner_text() == "登录已过期，请重新登录"
    assert page.locator("#member-card .login-box").count() == 0  # not drawn inside the desk page
    assert page.locator(".login-box input[name=next]").input_value() == "/desk/?status=admitted"
    shot(page, "session-expired-login")

    page.fill("input[name=username]", "desk_county")
    page.fill("input[name=password]", demo_password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desk/?status=admitted")
    assert page.get_by_test_id("who").is_visible()

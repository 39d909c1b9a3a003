"""An HTMX action after the session ended must send the whole window to the login page (not draw the login
page inside the current one), say the login expired, and come back to the page the user was on."""

from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _login_target(response, header: str = "HX-Redirect") -> tuple[str, dict]:
    parts = urlsplit(response[header])
    return parts.path, parse_qs(parts.query)


def test_htmx_action_with_expired_session_gets_a_full_page_redirect(client, demo):
    response = client.get("/desk/?part=card&certificate_number=61012599990777",
                          headers={**HTMX, "HX-Current-URL": "http://testserver/desk/?status=admitted"})
    assert response.status_code == 401
    path, query = _login_target(response)
    assert path == "/login/"
    assert query["next"] == ["/desk/?status=admitted"]
    assert query["expired"] == ["1"]
    assert "用户登录" not in response.content.decode()  # no login page for htmx to swap in


def test_htmx_post_with_expired_session_also_redirects(client, demo):
    response = client.post("/audit/verify/", headers={**HTMX, "HX-Current-URL": "http://testserver/audit/"})
    assert response.status_code == 401
    assert _login_target(response) == ("/login/", {"expired": ["1"], "next": ["/audit/"]})


@pytest.mark.parametrize("current", ["https://evil.example/desk/", "//evil.example/desk/", "javascript:alert(1)", ""])
def test_next_is_only_a_path_on_this_site(client, demo, current):
    headers = {**HTMX, "HX-Current-URL": current} if current else HTMX
    response = client.get("/desk/?part=card", headers=headers)
    assert response.status_code == 401
    path, query = _login_target(response)
    assert path == "/login/" and "next" not in query and query["expired"] == ["1"]


def test_plain_request_still_redirects_to_login_with_next(client, demo):
    response = client.get("/desk/?status=admitted")
    assert response.status_code == 302
    path, query = _login_target(response, "Location")
    assert path == "/login/" and query["next"] == ["/desk/?status=admitted"] and "expired" not in query


def test_login_page_says_the_login_expired_and_returns_to_the_page(client, demo, demo_password):
    html = client.get("/login/?expired=1&next=/desk/%3Fstatus%3Dadmitted").content.decode()
    assert "登录已过期，请重新登录" in html
    assert 'name="next" value="/desk/?status=admitted"' in html
    response = client.post("/login/", {"username": "desk_county", "password": demo_password,
                                       "next": "/desk/?status=admitted"})
    assert response.status_code == 302 and response["Location"] == "/desk/?status=admitted"


def test_login_page_without_the_flag_says_nothing_about_expiry(client, demo):
    assert "登录已过期" not in client.get("/login/").content.decode()


def test_logged_in_htmx_request_is_answered_normally(client, login):
    login("desk_county")
    response = client.get("/desk/?part=card", headers={**HTMX, "HX-Current-URL": "http://testserver/desk/"})
    assert response.status_code == 200 and "HX-Redirect" not in response

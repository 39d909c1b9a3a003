"""The interface is Chinese unless the user chooses English in the header (the language cookie); the
browser's Accept-Language does not switch it."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_english_browser_still_gets_chinese(client, login):
    login("reviewer")
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in html and "退出" in html and "定点医疗机构" in html
    assert "Sign out" not in html and "Designated facilities" not in html and "Regions" not in html
    html = client.get("/facilities/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="zh-hans"' in html and "<h1>定点医疗机构</h1>" in html


def test_choosing_english_in_the_header_switches_and_choosing_chinese_switches_back(client, login):
    login("reviewer")
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert 'lang="en"' in html and "Sign out" in html and "Designated facilities" in html
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert 'lang="zh-hans"' in html and "退出" in html


def test_an_unknown_language_cookie_falls_back_to_chinese(client, demo, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    html = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert 'lang="zh-hans"' in html and "用户登录" in html

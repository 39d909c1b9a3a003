"""The small words and pictures around every page: the favicon, and the language switch naming each language
in its own words."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_favicon_ico_is_served_at_the_root_without_a_login(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"
    data = b"".join(response.streaming_content)
    assert data[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    assert "max-age=86400" in response["Cache-Control"]


def test_every_page_links_the_svg_favicon_and_it_is_a_valid_svg(client):
    html = client.get("/login/").content.decode()
    assert re.search(r'<link rel="icon" href="/static/web/favicon\.svg" type="image/svg\+xml">', html)
    assert '<link rel="icon" href="/favicon.ico"' in html
    root = ET.parse(finders.find("web/favicon.svg")).getroot()
    assert root.tag.endswith("svg") and root.get("viewBox") == "0 0 32 32"


def _options(html: str) -> list[str]:
    select = html[html.index('name="language"'):]
    select = select[:select.index("</select>")]
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


def test_the_language_switch_reads_english_on_a_chinese_page(client, login):
    login("reviewer")
    html = client.get("/").content.decode()
    assert 'lang="zh-hans"' in html
    assert _options(html) == ["简体中文", "English"]
    assert "英语" not in html


def test_the_language_switch_reads_chinese_in_chinese_on_an_english_page(client, login):
    login("reviewer")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert 'lang="en"' in html and _options(html) == ["简体中文", "English"]

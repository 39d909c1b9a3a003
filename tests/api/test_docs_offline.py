"""/api/docs must work on a county network without the internet: the page references only this site, and
every file it references is a static file this site serves."""

import json
import re

import pytest
from django.conf import settings
from django.contrib.staticfiles.views import serve
from django.test import RequestFactory

pytestmark = pytest.mark.django_db

REFERENCE = re.compile(r'(?:src|href)\s*=\s*["\']([^"\']+)["\']')


def docs_html(client) -> str:
    response = client.get("/api/docs")
    assert response.status_code == 200
    return response.content.decode()


def test_docs_page_references_no_external_url(client, demo):
    html = docs_html(client)
    assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE), html
    assert "cdn" not in html.lower()


def test_every_file_the_docs_page_references_is_served_here(client, demo):
    references = REFERENCE.findall(docs_html(client))
    assert {r.rsplit("/", 1)[-1] for r in references} >= {
        "swagger-ui-5.35.0.css", "swagger-ui-5.35.0-bundle.js", "swagger-init.js"}
    for reference in references:
        assert reference.startswith(settings.STATIC_URL), reference
        path = reference[len(settings.STATIC_URL):]
        response = serve(RequestFactory().get(reference), path, insecure=True)
        assert response.status_code == 200, reference
        content = b"".join(response.streaming_content)
        assert content.strip(), reference
        if reference.endswith("-bundle.js"):
            assert b"SwaggerUIBundle" in content


def test_swagger_settings_point_at_our_schema_and_switch_the_online_validator_off(client, demo):
    html = docs_html(client)
    config = json.loads(re.search(r'id="swagger-settings"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert config["url"] == "/api/openapi.json"
    assert config["validatorUrl"] is None
    assert client.get(config["url"]).status_code == 200

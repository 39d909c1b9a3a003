"""Issue #10 (transport and deployment): the production settings pass `check --deploy`, every response carries
a Content-Security-Policy that allows no inline script, templates hold no inline script, and the API's
description is not public in production."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The environment docs/deploy.md gives the service (sample values).
DEPLOY_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "ALLOWED_HOSTS": "nrcms.huxian.example.gov.cn",
    "DATABASE_URL": "postgres://nrcms:secret@127.0.0.1:5432/nrcms",
    "NRCMS_CLIENT_IP_HEADER": "HTTP_X_REAL_IP",
}


def _production(code: str, tmp_path, **extra) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "NRCMS_", "DJANGO_"))}
    env.update(DEPLOY_ENV, SECRET_KEY=secrets.token_urlsafe(50), AUDIT_HMAC_KEY=secrets.token_hex(32),
               NRCMS_VAR_DIR=str(tmp_path), **extra)
    args = code.split() if code.startswith("manage.py") else ["-c", code]
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True)


def test_production_settings_pass_check_deploy_without_a_warning(tmp_path):
    result = _production("manage.py check --deploy --fail-level WARNING", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout and "WARNING" not in result.stderr + result.stdout


def test_production_redirects_to_https_behind_the_proxy_and_keeps_the_docs_closed(tmp_path):
    code = ("import django; django.setup(); from django.conf import settings as s;"
            "print(s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER, s.SECURE_HSTS_SECONDS >= 31536000,"
            " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.NRCMS_API_DOCS)")
    out = _production(code, tmp_path).stdout.split()
    assert out == ["True", "('HTTP_X_FORWARDED_PROTO',", "'https')", "True", "True", "True", "login"]


def test_every_page_carries_a_policy_that_allows_no_inline_script(client):
    response = client.get("/login/")
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'" and directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe-inline" not in directives["script-src"] and "unsafe-eval" not in policy


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>|\son[a-z]+=\"|javascript:",
                           re.IGNORECASE)


def test_no_template_holds_inline_script_or_event_handler_attributes():
    offenders = []
    for path in (ROOT / "nrcms").rglob("templates/**/*.html"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if INLINE_SCRIPT.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}")
    assert offenders == []


@pytest.mark.django_db
def test_api_docs_and_schema_need_a_login_or_token_when_so_configured(client, login, demo, settings):
    from nrcms.accounts.services import api_token_create

    settings.NRCMS_API_DOCS = "login"
    for url in ("/api/openapi.json", "/api/docs"):
        response = client.get(url)
        assert response.status_code == 401 and "接口文档只对已登录用户开放" in response.json()["message"]
    _, key = api_token_create(actor=None, user=demo["desk_county"], name="HIS")
    assert client.get("/api/openapi.json", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    assert client.get("/api/openapi.json", HTTP_AUTHORIZATION="Bearer nr_guess").status_code == 401
    login("ganting")
    assert client.get("/api/openapi.json").status_code == 200
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "cdn." not in docs.content.decode()  # bundled Swagger UI, CSP-clean
    settings.NRCMS_API_DOCS = "off"
    assert client.get("/api/openapi.json").status_code == 404 and client.get("/api/docs").status_code == 404

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.django_db
def test_a_session_expires_after_30_idle_minutes_and_at_browser_close(client, login, settings):
    login("ganting")
    assert client.session.get_expiry_age() == 30 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE and settings.SESSION_SAVE_EVERY_REQUEST


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_production_settings_refuse_to_start_without_an_audit_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIT_HMAC_KEY")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", SECRET_KEY="x" * 50, NRCMS_VAR_DIR=str(tmp_path))
    run = [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; print(len(settings.AUDIT_HMAC_KEY))"]
    result = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "AUDIT_HMAC_KEY" in result.stderr
    result = subprocess.run(run, cwd=ROOT, env={**env, "AUDIT_HMAC_KEY": "k" * 40}, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "40", result.stderr[-500:]


def test_database_url_selects_postgresql():
    code = ("import os; os.environ['DATABASE_URL']='postgres://u:p@db.example:5433/nrcms';"
            "from config.settings import base; d=base.database_from_env();"
            "print(d['ENGINE'], d['HOST'], d['PORT'], d['NAME'])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["django.db.backends.postgresql", "db.example", "5433", "nrcms"]


def test_nrcms_command_maps_two_words_to_one_task(tmp_path):
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.dev", NRCMS_VAR_DIR=str(tmp_path),
               DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    run = [sys.executable, "-m", "nrcms.cli"]
    subprocess.run([*run, "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    result = subprocess.run([*run, "audit", "verify"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0 and "审计链完整" in result.stdout

"""Signed checkpoints of the chain's head, written outside the database, sent to a remote store, printable."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from nrcms.accounts.audit_checkpoint import checkpoints_load, grouped
from nrcms.accounts.audit_checkpoint_issue import checkpoint_create
from nrcms.accounts.audit_hashing import key_id
from nrcms.accounts.audit_verification import audit_verify
from nrcms.accounts.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_a_checkpoint_records_the_signed_head_in_a_file_and_verifies(entries):
    rows = entries(4)
    written = checkpoint_create()
    data = json.loads(written.path.read_text())
    assert (data["count"], data["last_seq"], data["hash"]) == (4, 4, rows[-1].hash)
    assert data["key_id"] == key_id() and len(data["signature"]) == 64
    [loaded] = checkpoints_load()
    assert loaded.checkpoint == written.checkpoint and not loaded.problem
    report = audit_verify()
    assert report.ok and report.checkpoints == 1


def test_the_printable_record_shows_the_hash_in_groups(entries):
    rows = entries(1)
    text = checkpoint_create().text_path.read_text()
    assert "审计链检查点" in text and "最后一条序号：1" in text
    assert rows[0].hash[:4] + " " + rows[0].hash[4:8] in text
    assert grouped("ab" * 32).splitlines()[0].split() == ["abab"] * 8


def test_a_broken_chain_is_not_signed(entries, guard_dropped, empty_trail):
    entries(2)
    with guard_dropped():
        AuditEntry.objects.filter(seq=1).update(reason="改")
    with pytest.raises(CommandError, match="不签发检查点"):
        call_command("audit_checkpoint")
    assert not (empty_trail / "checkpoints").exists() or not list((empty_trail / "checkpoints").iterdir())


class _Receiver(BaseHTTPRequestHandler):
    received: list = []
    status = 201

    def do_POST(self):  # noqa: N802 — the http.server name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args):
        """Silent: http.server would print every request to the test's stderr."""


@pytest.fixture
def receiver():
    _Receiver.received, _Receiver.status = [], 201
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/checkpoints", _Receiver
    server.shutdown()
    server.server_close()


def test_the_command_writes_prints_and_posts_to_the_remote_store(entries, receiver, settings, capsys):
    url, handler = receiver
    settings.AUDIT_CHECKPOINT_URL = url
    rows = entries(3)
    call_command("audit_checkpoint")
    out = capsys.readouterr().out
    assert "检查点已写入" in out and "已发送到远程存储" in out
    [posted] = handler.received
    assert (posted["last_seq"], posted["hash"]) == (3, rows[-1].hash)
    assert posted["signature"] == checkpoints_load()[0].checkpoint.signature


def test_a_failing_remote_store_fails_the_command_but_keeps_the_file(entries, receiver, settings):
    url, handler = receiver
    handler.status = 500
    settings.AUDIT_CHECKPOINT_URL = url
    entries(1)
    with pytest.raises(CommandError, match="发送到远程存储失败"):
        call_command("audit_checkpoint")
    assert len(checkpoints_load()) == 1

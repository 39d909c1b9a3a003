"""Issue #10: wrong passwords arriving in parallel are each counted (a read-modify-write would lose some), and
parallel tries from one address get no more password checks than the limit."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from nrcms.accounts.models import LoginAttempt, LoginThrottle

# Threads need a database that takes concurrent connections: the suite's second run (CI) is on PostgreSQL, as
# for tests/claims/test_concurrency.py. The in-memory SQLite of the first run answers "table is locked".
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="需要 PostgreSQL（CI 的第二轮）：并行登录计数测试"),
]
TRIES = 20


def _in_parallel(username: str, addresses: list[str]) -> list[int]:
    barrier = threading.Barrier(len(addresses))
    codes: list[int] = []

    def attempt(address: str):
        try:
            barrier.wait()
            response = Client().post("/login/", {"username": username, "password": "wrong-guess"},
                                     REMOTE_ADDR=address)
            codes.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(a,)) for a in addresses]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codes


def test_twenty_parallel_wrong_passwords_from_twenty_addresses_count_exactly_twenty(demo, settings):
    settings.NRCMS_LOGIN_ACCOUNT_MAX_FAILURES = 100
    codes = _in_parallel("ganting", [f"198.51.100.{n}" for n in range(TRIES)])
    assert codes == [200] * TRIES
    assert LoginThrottle.objects.get(username="ganting", ip="").failures == TRIES
    assert LoginAttempt.objects.filter(username="ganting", succeeded=False).count() == TRIES


def test_twenty_parallel_wrong_passwords_from_one_address_get_only_the_limit_of_password_checks(demo, settings):
    _in_parallel("ganting", ["203.0.113.7"] * TRIES)
    limit = settings.NRCMS_LOGIN_MAX_FAILURES
    assert LoginThrottle.objects.get(username="ganting", ip="203.0.113.7").failures == limit
    assert LoginThrottle.objects.get(username="ganting", ip="").failures == limit
    assert LoginAttempt.objects.filter(username="ganting", succeeded=False).count() == TRIES

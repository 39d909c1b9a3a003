"""Issue #10: desk lookups arriving in parallel with one API token (as from several gunicorn workers) pass
exactly the limit: the counter row is changed under its lock, never read-modify-written."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from nrcms.accounts.models import AuditEntry, RateCounter
from nrcms.accounts.services import api_token_create
from nrcms.registry.models import Person

# Threads need a database that takes concurrent connections (as tests/accounts/test_lockout_parallel.py).
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="需要 PostgreSQL（CI 的第二轮）：并行查询限流测试"),
]
LIMIT, TRIES = 5, 20


def test_twenty_parallel_lookups_with_one_token_pass_exactly_the_limit(demo, settings):
    settings.NRCMS_DESK_LOOKUP_PER_MINUTE = LIMIT
    _, key = api_token_create(actor=demo["secadmin"], user=demo["desk_county"], name="HIS 接口")
    id_number = Person.objects.filter(status="active").values_list("id_number", flat=True).first()
    barrier = threading.Barrier(TRIES)
    codes: list[int] = []

    def lookup():
        try:
            barrier.wait()
            response = Client().get("/api/desk/members", {"id_number": id_number}, HTTP_AUTHORIZATION=f"Bearer {key}")
            codes.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=lookup) for _ in range(TRIES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200] * LIMIT + [429] * (TRIES - LIMIT)
    assert RateCounter.objects.get(scope="desk.lookup").hits == LIMIT
    assert AuditEntry.objects.filter(action="desk.lookup_limited").count() == 1
    assert AuditEntry.objects.filter(action="person.search_id").count() == LIMIT

"""The enrolled persons per region under parallel enrollment: every household_enroll adds its persons to the same
summary row with INSERT … ON CONFLICT DO UPDATE SET persons = persons + excluded.persons, so none is lost (a
read-modify-write would lose some)."""

import threading

import pytest
from django.db import connection, connections
from people_factory import family

from nrcms.registry import enrolled_counts
from nrcms.registry.enrollment import household_enroll
from nrcms.registry.models import EnrolledCount, Household

# Threads need a database that takes concurrent connections: PostgreSQL (the suite's second run in CI), as for
# tests/funding/test_ledger_summary_parallel.py. The in-memory SQLite of the first run answers "table is locked".
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="需要 PostgreSQL（CI 的第二轮）：并行参合汇总测试"),
]
THREADS = 12
GROUP = "610125100201001"  # every household in the same group: the same summary row


def test_twelve_parallel_enrollments_all_reach_the_summary(demo):
    clerk = demo["ganting"]
    households = [family(clerk).pk for _ in range(THREADS)]  # three persons each
    before = EnrolledCount.objects.get(scheme_year=2027, region__code=GROUP).persons \
        if EnrolledCount.objects.filter(scheme_year=2027, region__code=GROUP).exists() else 0
    barrier = threading.Barrier(THREADS)
    errors: list[Exception] = []

    def enroll(pk: int) -> None:
        try:
            barrier.wait()
            household_enroll(actor=clerk, household=Household.objects.get(pk=pk), scheme_year=2027)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=enroll, args=(pk,)) for pk in households]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert EnrolledCount.objects.get(scheme_year=2027, region__code=GROUP).persons == before + 12 * 3
    assert enrolled_counts.differences() == (0, [])

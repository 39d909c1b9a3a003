"""The ledger's day summary under parallel posting: every posting adds its lines to the same summary rows with
INSERT … ON CONFLICT DO UPDATE SET x = x + excluded.x, so none is lost (a read-modify-write would lose some)."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Sum

from nrcms.funding import ledger, summary
from nrcms.funding.models import LedgerDaySummary

# Threads need a database that takes concurrent connections: PostgreSQL (the suite's second run in CI), as for
# tests/accounts/test_lockout_parallel.py. The in-memory SQLite of the first run answers "table is locked".
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="需要 PostgreSQL（CI 的第二轮）：并行记账汇总测试"),
]
DAY = dt.date(2026, 11, 3)  # a day the demo county posts nothing on
THREADS = 12


def test_twelve_parallel_postings_all_reach_the_summary(demo):
    fund, receivable = ledger.account(ledger.FUND_ACCOUNT), ledger.account("1202")
    barrier = threading.Barrier(THREADS)
    errors: list[Exception] = []

    def post(n: int) -> None:
        try:
            barrier.wait()
            amount = Decimal(f"{n}.01")
            ledger.post(date=DAY, kind="subsidy_received", description=f"并行到账 {n}",
                        lines=[(fund, amount, Decimal("0")), (receivable, Decimal("0"), amount)])
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(1, THREADS + 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    # 1.01 + 2.01 + … + 12.01 = 78 + 0.12
    rows = LedgerDaySummary.objects.filter(day=DAY, entry_kind="subsidy_received")
    assert rows.filter(account_group="1001").aggregate(d=Sum("debit_fen"), n=Sum("lines")) == {"d": 7812, "n": 12}
    assert rows.filter(account_group="1202").aggregate(c=Sum("credit_fen"), n=Sum("lines")) == {"c": 7812, "n": 12}
    assert rows.count() == 2
    assert summary.differences() == (0, [])

"""The audit trail's append on PostgreSQL: appends per second and the time the chain head stays locked, for
the one-statement append that computes the HMAC in SQL (the key's pads as parameters, built-in sha256())
against computing the HMAC in Python under the head's row lock (lock, read, insert, update: four round trips).

    DATABASE_URL=postgres://…/throwaway python bench/bench_audit_append.py [--appends 2000] [--clients 4]

The database must be a throwaway one: it is migrated and audit rows are appended to it. Prints a table;
asserts nothing about timing."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("DATABASE_URL must name a throwaway PostgreSQL database")
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from nrcms.accounts import audit
    from nrcms.accounts.audit_verification import audit_verify

    call_command("migrate", verbosity=0)
    original = audit._append_pg
    variants = {"HMAC in one SQL statement": original, "HMAC in Python under the lock": lambda actor, fields: None}
    print(f"{'variant':34} {'appends/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    for name, append in variants.items():
        audit._append_pg = append
        latencies: list[float] = []
        lock = threading.Lock()

        def client(n: int, latencies=latencies, lock=lock) -> None:
            mine = []
            for i in range(n):
                started = time.perf_counter()
                with transaction.atomic():
                    audit.audit_record(actor=None, action="bench.append", object_id=str(i), after={"i": i})
                mine.append(time.perf_counter() - started)
            connection.close()
            with lock:
                latencies.extend(mine)

        per_client = args.appends // args.clients
        threads = [threading.Thread(target=client, args=(per_client,)) for _ in range(args.clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        latencies.sort()
        print(f"{name:34} {len(latencies) / elapsed:10.0f} {statistics.median(latencies) * 1000:8.2f} "
              f"{latencies[int(len(latencies) * 0.99)] * 1000:8.2f}")
    audit._append_pg = original
    report = audit_verify()
    print(f"chain verified: {report.ok} ({report.checked} rows)")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())

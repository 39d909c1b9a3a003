"""`nrcms demo build` at the size of 户县: 470,000 agricultural persons (16 townships, ~520 villages, ~15,000
admissions and ~52,000 paid outpatient visits a year) into the database given by DATABASE_URL (PostgreSQL in
the figures we publish) or a fresh SQLite file. Prints the time of each step, the total, CPU time, peak memory
(ru_maxrss, and tracemalloc's peak of Python allocations with --tracemalloc, which slows the run) and the
calibration figures per 10,000 enrollees.

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/nrcms_bench python bench/bench_demo_build.py [--persons 470000]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=470_000)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--seed", type=int, default=610125)
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="nrcms-bench-demo-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    os.environ.setdefault("NRCMS_VAR_DIR", str(workdir))
    os.environ["NRCMS_SCHEME_FILE"] = str(ROOT / "nrcms" / "policy" / "schemes" / "huxian-2005.yaml")
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'demo.sqlite3'}"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from nrcms.demo.build import build, database_is_empty

    call_command("migrate", verbosity=0, interactive=False)
    if not database_is_empty():
        call_command("flush", verbosity=0, interactive=False)
    print(f"数据库：{connection.vendor} {connection.settings_dict['NAME']}；{args.persons} 人，{args.year} 年度")
    if args.tracemalloc:
        tracemalloc.start()
    marks = [time.monotonic()]
    start, cpu = marks[0], time.process_time()

    def step(name):
        now = time.monotonic()
        print(f"  {now - marks[0]:7.1f} s  → {name}", flush=True)
        marks[0] = now

    report = build(persons=args.persons, year=args.year, seed=args.seed, step=step)
    step("完成")
    total = time.monotonic() - start
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"合计 {total:.1f} s（CPU {time.process_time() - cpu:.1f} s），峰值内存 {peak_rss:.0f} MB"
          + (f"，Python 分配峰值 {tracemalloc.get_traced_memory()[1] / 2**20:.0f} MB" if args.tracemalloc else ""))
    print("人员：", report.counts["people"], "就诊：", report.counts["care"])
    print("校准（每万参合人）：", report.calibration)
    print("账簿核对：", "通过" if report.books_ok else "未通过 " + "；".join(report.books[:3]))
    return 0 if report.books_ok else 1


if __name__ == "__main__":
    sys.exit(main())

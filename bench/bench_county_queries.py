"""Times every dashboard panel and every statistics report on the database in DATABASE_URL (a county built with
`nrcms demo build`, or bench/scratch_volume.py's crude volume): the median of 5 runs each, the number of SQL
queries, and for anything slower than the target (300 ms) the EXPLAIN ANALYZE of its slowest query.

    DATABASE_URL=postgres://…/county python bench/bench_county_queries.py [--year 2026] [--runs 5] [--explain-all]

Prints the figures; asserts nothing about speed (the target is reported, not tested). The figures before and
after issue 11's speed-ups on the 470,000-person county, what got there and what remains over 300 ms are in
docs/guide/dashboard.md (性能); bench/compare_county_figures.py shows a speed-up changed no figure."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from nrcms.registry.models import Enrollment, Region  # noqa: E402
from nrcms.stats import dashboard as dash  # noqa: E402
from nrcms.stats.facility_shares import facility_rows  # noqa: E402
from nrcms.stats.indicators import by_kind, indicators  # noqa: E402
from nrcms.stats.ledgers import ledgers  # noqa: E402
from nrcms.stats.reports import report_build  # noqa: E402
from nrcms.stats.scope import Scope, month_range  # noqa: E402

TARGET_MS = 300


def cases(year: int, today: dt.date) -> list[tuple[str, object]]:
    p = dash.period_of(year, today)
    settings = dash.plan_settings(year)
    county = Region.objects.filter(level="county").first()
    name = county.name if county else "全县"
    year_scope = Scope(start=dt.date(year, 1, 1), end=p.until, region_name=name)
    last = p.until.month
    month = Scope(*month_range(year, last), region_name=name)
    return [
        ("驾驶舱 基金按月收支 fund_by_month", lambda: dash.fund_by_month(p)),
        ("驾驶舱 计划执行进度 utilisation", lambda: dash.utilisation(p, settings=settings)),
        ("驾驶舱 每日结算 settlements_by_day", lambda: dash.settlements_by_day(p)),
        ("驾驶舱 各乡镇参合率 enrollment_by_township", lambda: dash.enrollment_by_township(year)),
        ("驾驶舱 费用居前机构 top_facilities", lambda: dash.top_facilities(p)),
        ("驾驶舱 药占比预警 drug_share_alerts", lambda: dash.drug_share_alerts(p, settings.drug_share_limit)),
        ("驾驶舱 整页 dashboard()", lambda: dash.dashboard(year, today)),
        ("首页 驾驶舱摘要 headline()", lambda: dash.headline(today)),
        ("统计指标 indicators（本年）", lambda: indicators(year_scope)),
        ("统计指标 by_kind（本年）", lambda: by_kind(year_scope)),
        ("机构药占比 facility_rows（本年）", lambda: facility_rows(year_scope)),
        ("三级台账 ledgers（本年）", lambda: ledgers(year_scope)),
        (f"基金收支月报 fund-monthly（{last} 月）", lambda: report_build("fund-monthly", month)),
        (f"补偿情况月报 reimbursement-monthly（{last} 月）", lambda: report_build("reimbursement-monthly", month)),
        ("年度汇总 year-summary", lambda: report_build("year-summary", year_scope)),
    ]


def timed(fn, runs: int) -> tuple[float, int, list[dict]]:
    times, queries = [], []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1000)
        queries = ctx.captured_queries
    return statistics.median(times), len(queries), queries


def explain(query: dict) -> str:
    if connection.vendor != "postgresql":
        return "（EXPLAIN ANALYZE 只在 PostgreSQL 上输出）"
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
        return "\n".join(r[0] for r in cur.fetchall())


def never_analysed() -> list[str]:
    """The big tables PostgreSQL has no statistics for (a database restored or copied from a template is never
    analysed by autovacuum until it changes): the bench would time plans no running county gets. Asked of the
    planner's statistics themselves (pg_stats): the "last analysed" times are lost whenever the server stops
    uncleanly, the statistics are not."""
    if connection.vendor != "postgresql":
        return []
    tables = ["claims_settlement", "claims_episode", "claims_chargeline", "registry_enrollment", "registry_household",
              "funding_journalline", "funding_journalentry", "stats_settlementfact"]
    with connection.cursor() as cur:
        cur.execute("SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = current_schema() "
                    "AND tablename = ANY(%s)", [tables])
        have = {r[0] for r in cur.fetchall()}
    return sorted(set(tables) - have)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--year", type=int, default=None)
    ap.add_argument("--today", type=dt.date.fromisoformat, default=None, help="as of (default: today)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", default="", help="only the cases whose label contains this text (e.g. 驾驶舱)")
    ap.add_argument("--explain-all", action="store_true", help="EXPLAIN the slowest query of every case")
    a = ap.parse_args()
    today = a.today or dt.date.today()
    year = a.year or today.year
    print(f"数据库：{connection.vendor} {connection.settings_dict['NAME']}；{year} 年参合 "
          f"{Enrollment.objects.filter(scheme_year=year).count()} 人；截至 {today}；每项 {a.runs} 次取中位数")
    never = never_analysed()
    if never:
        print(f"注意：这些表从未 ANALYZE（没有统计信息，查询计划按默认估计，比实际运行的数据库慢）：{', '.join(never)}；"
              "请先对该数据库运行 ANALYZE")
    print(f"{'查询':<52}{'中位数 ms':>10}{'SQL 条数':>9}  目标 {TARGET_MS} ms")
    slow = []
    for label, fn in cases(year, today):
        if a.only not in label:
            continue
        fn()  # warm the cache once, as a page served twice would be
        ms, n, queries = timed(fn, a.runs)
        mark = "" if ms <= TARGET_MS else "  ← 超过目标"
        print(f"{label:<52}{ms:>10.1f}{n:>9}{mark}", flush=True)
        if (ms > TARGET_MS or a.explain_all) and queries:
            slow.append((label, max(queries, key=lambda q: float(q["time"]))))
    for label, query in slow:
        print(f"\n== {label}：最慢的一条（{float(query['time']) * 1000:.0f} ms）\n{query['sql'][:600]}\n{explain(query)}")


if __name__ == "__main__":
    main()

"""Scalar settlements per second: one 30-line inpatient episode under the layered scheme, one core.

    python bench/bench_settle.py [--seconds 3]

Prints the figure; asserts nothing about speed (the target, ≥ 10,000/s, is reported, not tested)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nrcms.policy import ChargeItem, Episode, Person, YearToDate, settle, shipped_schemes  # noqa: E402


def episode_30_lines() -> Episode:
    charges = []
    for n in range(30):
        klass = "ABC"[n % 3] if n % 7 else None
        charges.append(ChargeItem(
            code=f"I{n:03d}", amount=Decimal(f"{37 + n * 91}.{n % 100:02d}"), catalogue_class=klass,
            first_self_pay_share=Decimal("0.2") if klass == "B" else Decimal("0"),
            quantity=Decimal(str(1 + n % 4)), price_limit=Decimal("500.00") if n % 5 == 0 else None,
        ))
    return Episode(kind="inpatient", facility_level="county", admission_date=dt.date(2020, 3, 1),
                   discharge_date=dt.date(2020, 3, 14), charges=tuple(charges), diagnosis_code="I63.9")


def run(seconds: float) -> None:
    schemes = shipped_schemes()
    episode = episode_30_lines()
    person = Person(frozenset({"registered_poor", "dibao"}))
    ytd = YearToDate(admissions=1, basic_paid=Decimal("1800.00"))
    for scheme_id in ("demo-layered-2020", "huxian-2005"):
        scheme = schemes[scheme_id].select(episode.date)
        settle(episode, scheme, ytd, person=person)  # warm up
        count, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds:
            for _ in range(200):
                settle(episode, scheme, ytd, person=person)
            count += 200
        print(f"{scheme_id:<20} 30 行住院结算：{count / elapsed:,.0f} 次/秒（单核，{count} 次，{elapsed:.2f} 秒）")
    file = schemes["demo-layered-2020"]
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(200):
            settle(episode, file, ytd, person=person)
        count += 200
    print(f"{'(按日期选版本)':<18} 30 行住院结算：{count / elapsed:,.0f} 次/秒")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    run(parser.parse_args().seconds)

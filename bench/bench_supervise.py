"""The monthly audit batch at the 470,000-person county's volume: one month of ≈ 1,250 admissions and
4,300 outpatient visits (plus three earlier months of admissions for the cost norms), audited by
`nrcms supervise run`'s own code. Aim: under a minute.

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/nrcms_h12_bench python bench/bench_supervise.py

Uses (and on first run fills) the database in DATABASE_URL: migrates, loads the demo county, then generates
the volume with bulk inserts (a dedicated bench database — never a real one). Prints time, peak memory
(RSS) and the hits found; asserts nothing about speed."""

from __future__ import annotations

import datetime as dt
import os
import random
import resource
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from nrcms.core.idnumber import make_id_number  # noqa: E402

MONTH = dt.date(2026, 10, 1)
ADMISSIONS, VISITS, PERSONS = 1250, 4300, 6000
PREFIX = "BZ"  # serials and numbers of the generated volume


def _generate() -> None:
    from nrcms.accounts.models import User
    from nrcms.claims.models import ChargeLine, Episode, Settlement
    from nrcms.facilities.models import Facility
    from nrcms.registry.models import Enrollment, Household, Person, Region

    rnd = random.Random(12)
    village = Region.objects.filter(level="group").first() or Region.objects.filter(level="village").first()
    facilities = list(Facility.objects.filter(in_county=True).exclude(level="village"))
    clinics = list(Facility.objects.filter(level="village")) or facilities
    actor = User.objects.get(username="desk_county")
    households = [Household(number=f"{PREFIX}{n:08d}", region=village) for n in range(PERSONS // 4)]
    Household.objects.bulk_create(households, batch_size=2000)
    households = list(Household.objects.filter(number__startswith=PREFIX).order_by("id"))
    persons = []
    for n in range(PERSONS):
        birth = dt.date(1940 + n % 70, 1 + n % 12, 1 + n % 28)
        sex = "MF"[n % 2]
        persons.append(Person(id_number=make_id_number("610125", birth, n % 500, sex), name=f"压测{n}",
                              sex=sex, birth_date=birth, household=households[n // 4], relation="head" if n % 4 == 0
                              else "child"))
    Person.objects.bulk_create(persons, batch_size=2000, ignore_conflicts=True)
    persons = list(Person.objects.filter(name__startswith="压测").select_related("household"))
    Enrollment.objects.bulk_create([Enrollment(person=p, household=p.household, scheme_year=2026) for p in persons],
                                   batch_size=2000, ignore_conflicts=True)
    enrollments = dict(Enrollment.objects.filter(person__in=persons, scheme_year=2026).values_list("person_id", "id"))
    diagnoses = ["I63.9", "J18.0", "K35.8", "N18.5", "E11.9", "I10.X", "O80.0", "S72.0"]
    episodes, plan = [], []
    months = [dt.date(2026, m, 1) for m in (7, 8, 9, 10)]
    for month in months:
        count = ADMISSIONS + (VISITS if month == MONTH else 0)
        for n in range(count):
            inpatient = n < ADMISSIONS
            person = persons[rnd.randrange(len(persons))]
            admit = month + dt.timedelta(days=rnd.randrange(27))
            stay = rnd.choice([1, 3, 5, 7, 9, 12]) if inpatient else 0
            facility = rnd.choice(facilities) if inpatient else rnd.choice(clinics + facilities[:3])
            episodes.append(Episode(
                facility=facility, serial=f"{PREFIX}{month:%m}{n:06d}", kind="inpatient" if inpatient else "outpatient",
                person=person, household=person.household, enrollment_id=enrollments[person.pk], scheme_year=2026,
                admission_date=admit, discharge_date=admit + dt.timedelta(days=stay), status="settled",
                diagnosis_code=rnd.choice(diagnoses), created_by=actor))
            plan.append((month, inpatient, stay))
    Episode.objects.bulk_create(episodes, batch_size=2000)
    episodes = list(Episode.objects.filter(serial__startswith=PREFIX).order_by("id"))
    lines, settlements = [], []
    for n, (episode, (_month, inpatient, stay)) in enumerate(zip(episodes, plan, strict=True)):
        count = 20 if inpatient else 3
        total = Decimal("0")
        for k in range(count):
            amount = Decimal(rnd.randrange(500, 40000)) / 100 if inpatient else Decimal(rnd.randrange(300, 4000)) / 100
            total += amount
            code = rnd.choice(["120400001", "110200001", "250403009", "210300001", f"YP{k:04d}"])
            lines.append(ChargeLine(episode=episode, line_no=k + 1, facility_item_code=code, item_name="项目",
                                    charged_on=episode.admission_date + dt.timedelta(days=min(k % (stay + 1), stay)),
                                    quantity=Decimal(1), unit_price=amount,
                                    amount=amount, catalogue_code=code, catalogue_class="A",
                                    first_self_pay_share=Decimal("0")))
        settlements.append(Settlement(
            episode=episode, number=f"{PREFIX}{n:09d}", scheme_id="bench", scheme_version="bench",
            scheme_effective=dt.date(2026, 1, 1), inputs={}, result={}, settled_by=actor, total_cost=total,
            self_pay=total))
    ChargeLine.objects.bulk_create(lines, batch_size=5000)
    Settlement.objects.bulk_create(settlements, batch_size=2000)
    for month in months:  # settled_at is stamped on insert: move each month's into its month
        first, last = month, (month + dt.timedelta(days=32)).replace(day=1)
        Settlement.objects.filter(number__startswith=PREFIX, episode__admission_date__gte=first,
                                  episode__admission_date__lt=last).update(
            settled_at=dt.datetime.combine(month.replace(day=27), dt.time(10),
                                           tzinfo=dt.timezone(dt.timedelta(hours=8))))


def main() -> None:
    from nrcms.claims.models import Settlement
    from nrcms.demo.loader import demo_load
    from nrcms.registry.models import Region
    from nrcms.supervision.batch import run_execute, run_start

    call_command("migrate", verbosity=0)
    if not Region.objects.exists():
        demo_load()
    if not Settlement.objects.filter(number__startswith=PREFIX).exists():
        began = time.monotonic()
        with transaction.atomic():
            _generate()
        print(f"生成压测数据 {time.monotonic() - began:.1f} 秒")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.monotonic()
    run = run_execute(run_start(actor=None, month=MONTH))
    seconds = time.monotonic() - began
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{MONTH:%Y-%m}: 审核结算 {run.total} 笔，发现疑点 {run.hits_found} 个（新增 {run.hits_new}），"
          f"用时 {seconds:.1f} 秒（目标 < 60 秒），进程峰值内存 {rss_after / 1024:.0f} MB"
          f"（审核前 {rss_before / 1024:.0f} MB）")


if __name__ == "__main__":
    main()

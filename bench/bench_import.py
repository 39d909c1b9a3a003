"""Roster import at the size of 户县: 470,000 persons (about 120,000 households) as CSV and as .xlsx, imported
into a fresh SQLite file database (and PostgreSQL when DATABASE_URL is set), next to a plain per-row ORM save()
loop on a sample, measured in the same run. Peak memory (ru_maxrss) is printed after the files are generated
and after each import; the generated rows are dropped before importing, except the per-row loop's sample.
Between imports the bench's rows are deleted (and on PostgreSQL the tables vacuumed and analysed), so CSV and
Excel both start from the demo county alone.

    python bench/bench_import.py [--persons 470000] [--loop-sample 20000] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup_django(workdir: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ.setdefault("NRCMS_VAR_DIR", str(workdir))
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    import django

    django.setup()
    from django.conf import settings

    settings.STORAGES["default"] = {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                    "OPTIONS": {"location": str(workdir / "media")}}
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from nrcms.demo.loader import demo_load

    demo_load()


def generate(persons: int, seed: int = 2026) -> tuple[list[str], list[list[str]]]:
    """Households of 1–7 (mean ≈ 3.9) across the demo county's four townships' groups — all in one
    township here, because a roster is imported per township."""
    from nrcms.core.idnumber import make_id_number
    from nrcms.registry.models import Region
    from nrcms.registry.roster_template import COLUMNS

    rng = random.Random(seed)
    groups = list(Region.objects.filter(code__startswith="610125100", level="group").values_list("code", flat=True))
    surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
    given = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国志红玉梅兴福德文海波宁丹燕飞鹏晓春"
    from nrcms.registry.models import Person

    used: set[str] = set(Person.objects.values_list("id_number", flat=True))  # the demo's people stay
    rows, key = [], 0
    while len(rows) < persons:
        key += 1
        size = min(rng.choice([1, 2, 3, 3, 4, 4, 4, 5, 5, 6, 7]), persons - len(rows))
        group = rng.choice(groups)
        surname = rng.choice(surnames)
        for i in range(size):
            while True:
                birth = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(0, 33000))
                sex = rng.choice("MF")
                number = make_id_number("610125", birth, rng.randrange(500), sex)
                if number not in used:
                    used.add(number)
                    break
            name = (surname if i != 1 else rng.choice(surnames)) + rng.choice(given) + rng.choice(["", *given])
            relation = "户主" if i == 0 else ("配偶" if i == 1 else "子女")
            rows.append([str(key), group, f"{key}号" if i == 0 else "", name, number, relation, "", "", ""])
    return [c.header for c in COLUMNS], rows


def write_files(workdir: Path, headers, rows) -> tuple[Path, Path]:
    import polars as pl
    from openpyxl import Workbook

    csv_path, xlsx_path = workdir / "roster.csv", workdir / "roster.xlsx"
    pl.DataFrame(rows, schema=headers, orient="row").write_csv(csv_path)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("花名册")
    ws.append(headers)
    for r in rows:
        ws.append(r)
    wb.save(xlsx_path)
    return csv_path, xlsx_path


def people_baseline() -> dict:
    """What the demo county holds before the bench imports anything: its households and persons carry receipts,
    ledger accounts and claims (PROTECT foreign keys), so a reset removes only what the bench added."""
    from django.db.models import Max

    from nrcms.registry.models import Household, NumberSequence, Person

    return {"household": Household.objects.aggregate(m=Max("pk"))["m"] or 0,
            "person": Person.objects.aggregate(m=Max("pk"))["m"] or 0,
            "sequences": dict(NumberSequence.objects.filter(name__startswith="household:").values_list("name", "last"))}


def reset_people(baseline: dict) -> None:
    from django.db import connection
    from django.db.models import Count, Q

    from nrcms.registry import enrolled_counts
    from nrcms.registry.models import Enrollment, NumberSequence

    h, p = int(baseline["household"]), int(baseline["person"])
    statements = [
        f"DELETE FROM registry_enrollmentexemption WHERE person_id > {p} OR household_id > {h}",
        f"DELETE FROM registry_enrollment WHERE person_id > {p} OR household_id > {h}",
        f"DELETE FROM registry_personevent WHERE person_id > {p} OR from_household_id > {h} OR to_household_id > {h}",
        f"DELETE FROM registry_personcategory WHERE person_id > {p}",
        f"DELETE FROM registry_certificate WHERE household_id > {h}",
        f"DELETE FROM registry_person WHERE id > {p}",
        f"DELETE FROM registry_household WHERE id > {h}",
    ]
    # the enrolled persons kept per region (registry.EnrolledCount) lose what the deleted enrollments counted
    gone = (Enrollment.objects.filter(Q(person_id__gt=p) | Q(household_id__gt=h), status="enrolled").order_by()
            .values("scheme_year", "household__region_id").annotate(n=Count("pk"))
            .values_list("scheme_year", "household__region_id", "n"))
    enrolled_counts.adjust({(year, region): -n for year, region, n in gone})
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)  # noqa: S608 - fixed table names, integer bounds
    NumberSequence.objects.filter(name__startswith="household:").exclude(name__in=baseline["sequences"]).delete()
    for name, last in baseline["sequences"].items():
        NumberSequence.objects.filter(name=name).update(last=last)
    if connection.vendor == "postgresql":  # no dead rows left behind for the next import to wade through
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE registry_household, registry_person, registry_personevent, "
                           "registry_enrollment, registry_enrollmentexemption")


def peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10


def timed_import(path: Path, user, township) -> tuple[float, object]:
    from nrcms.registry.roster_import import roster_import_create, roster_import_run

    start = time.perf_counter()
    job = roster_import_create(actor=user, township=township, file_name=path.name, content=path.read_bytes(),
                               scheme_year=2026)
    job = roster_import_run(job)
    return time.perf_counter() - start, job


def per_row_loop(rows, sample: int) -> float:
    """The naive way: one Household.save() per household and one Person.save() + Enrollment.save() per row."""
    from django.db import transaction

    from nrcms.core.idnumber import validate_id_number
    from nrcms.registry.models import Enrollment, Household, Person, Region
    from nrcms.registry.names import name_initials
    from nrcms.registry.roster_template import RELATION_WORDS

    regions = dict(Region.objects.values_list("code", "pk"))
    start = time.perf_counter()
    households = {}
    with transaction.atomic():
        for r in rows[:sample]:
            info = validate_id_number(r[4])
            if r[0] not in households:
                h = Household(number=f"B{r[0]:>12}", region_id=regions[r[1]], address=r[2])
                h.save()
                households[r[0]] = h
            p = Person(id_number=info.id_number, name=r[3], name_initials=name_initials(r[3]), sex=info.sex,
                       birth_date=info.birth_date, household=households[r[0]], relation=RELATION_WORDS[r[5]])
            p.save()
            Enrollment(person=p, household=households[r[0]], scheme_year=2026).save()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=470_000)
    parser.add_argument("--loop-sample", type=int, default=20_000)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="nrcms-bench-"))
    setup_django(workdir)
    from django.db import connection

    from nrcms.accounts.models import User
    from nrcms.registry.models import Enrollment, Person, Region

    user, township = User.objects.get(username="ganting"), Region.objects.get(code="610125100000")
    baseline = people_baseline()
    demo_persons = Person.objects.count()
    t0 = time.perf_counter()
    headers, rows = generate(args.persons)
    csv_path, xlsx_path = write_files(workdir, headers, rows)
    total, households = len(rows), int(rows[-1][0])
    print(f"database: {connection.vendor}  persons: {total:,}  households: {households:,}  "
          f"(files generated in {time.perf_counter() - t0:.1f}s; csv {csv_path.stat().st_size >> 20} MB, "
          f"xlsx {xlsx_path.stat().st_size >> 20} MB; peak memory so far {peak_mb():,} MB)")
    sample = min(args.loop_sample, total)
    rows = rows[:sample]  # only the per-row loop needs them
    gc.collect()
    results = {}
    for label, path in (("CSV", csv_path), ("Excel", xlsx_path)):
        reset_people(baseline)
        enrolled_before = Enrollment.objects.count()
        seconds, job = timed_import(path, user, township)
        assert job.status == "done" and job.rows_error == 0, job.message
        assert Person.objects.count() == demo_persons + total
        assert Enrollment.objects.count() == enrolled_before + total
        results[label] = total / seconds
        print(f"{label:>6} import: {seconds:7.1f}s  {results[label]:>9,.0f} persons/s  ({job.message}; "
              f"peak memory so far {peak_mb():,} MB)")
    counts = (Person.objects.count(), Enrollment.objects.count())
    seconds, job = timed_import(csv_path, user, township)
    assert job.households_unchanged == households and job.persons_created == job.persons_enrolled == 0
    assert (Person.objects.count(), Enrollment.objects.count()) == counts
    results["re-import"] = total / seconds
    print(f"re-import (CSV, nothing changes): {seconds:.1f}s  {results['re-import']:>9,.0f} persons/s  "
          f"({job.households_unchanged:,} households unchanged)")
    reset_people(baseline)
    seconds = per_row_loop(rows, sample)
    results["per-row loop"] = sample / seconds
    print(f"per-row ORM save() loop on {sample:,} persons: {seconds:.1f}s  {sample / seconds:,.0f} persons/s")
    print(f"\n| {connection.vendor} | " + " | ".join(results) + " | peak memory |")
    print("|---|" + "---:|" * (len(results) + 1))
    print("| persons/s | " + " | ".join(f"{v:,.0f}" for v in results.values()) + f" | {peak_mb():,} MB |")
    if not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The demo county's people: three villages of 甘亭镇 and one of 余下镇, families with a head, spouse, children
and sometimes parents, valid ID numbers on 610125, enrolled for the current scheme year with certificates.
Written through the roster import's bulk path (audited per batch), so loading takes a second or two.
Seeded and idempotent: a second run finds every household unchanged and writes nothing."""

from __future__ import annotations

import datetime as dt
import random

import polars as pl
from django.db import transaction
from faker import Faker

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.core.idnumber import make_id_number
from nrcms.registry.enrollment import certificate_numbers
from nrcms.registry.models import Category, Certificate, Household, Person, PersonCategory, Region
from nrcms.registry.roster_import import import_frame
from nrcms.registry.roster_template import KEYS

SCHEME_YEAR = 2026
VILLAGES = {"610125100201": 70, "610125100202": 60, "610125100203": 50, "610125101201": 60}
SEED = 610125
AUTHORITY = "演示数据"


def _birth(rng: random.Random, year_from: int, year_to: int) -> dt.date:
    start, end = dt.date(year_from, 1, 1), dt.date(year_to, 12, 28)
    return start + dt.timedelta(days=rng.randrange((end - start).days))


def family_rows(rng: random.Random, fake: Faker, key: str, group: str, used: set[str]) -> list[list[str]]:
    """One family: head, usually a spouse, 0–3 children, sometimes an elderly parent."""
    surname = fake.last_name()

    def person(relation: str, birth: dt.date, sex: str, family_name: str) -> list[str]:
        given = fake.first_name_male() if sex == "M" else fake.first_name_female()
        while True:
            number = make_id_number("610125" if birth.year < 2016 else "610118", birth, rng.randrange(500), sex)
            if number not in used:
                used.add(number)
                break
        return [key, group, "", family_name + given, number, relation, "", "", ""]

    head_sex = "M" if rng.random() < 0.85 else "F"
    head_birth = _birth(rng, 1950, 1992)
    rows = [person("户主", head_birth, head_sex, surname)]
    rows[0][2] = f"{rng.randint(1, 120)} 号"
    rows[0][6] = f"1{rng.choice('3579')}{rng.randrange(10**9):09d}"
    if rng.random() < 0.85:
        rows.append(person("配偶", _birth(rng, head_birth.year - 3, head_birth.year + 3),
                           "F" if head_sex == "M" else "M", fake.last_name()))
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
        year = min(head_birth.year + rng.randint(20, 34), 2025)
        rows.append(person("子女", _birth(rng, year, year), rng.choice("MF"), surname))
    if rng.random() < 0.3 and head_birth.year > 1965:
        rows.append(person("父母", _birth(rng, head_birth.year - 32, head_birth.year - 22), rng.choice("MF"),
                           surname if rng.random() < 0.5 else fake.last_name()))
    return rows


def demo_roster() -> pl.DataFrame:
    rng, fake = random.Random(SEED), Faker("zh_CN")
    fake.seed_instance(SEED)
    used: set[str] = set()
    rows, key = [], 0
    for village, households in VILLAGES.items():
        groups = list(Region.objects.filter(parent__code=village).values_list("code", flat=True)) or [village]
        for _ in range(households):
            key += 1
            rows.extend(family_rows(rng, fake, str(key), rng.choice(groups), used))
    # One son serving in the army: enrolled households may leave a member out with a recorded reason.
    soldier = next(r for r in rows if r[5] == "子女" and "1998" <= r[4][6:10] <= "2005" and r[4][16] in "13579")
    soldier[7] = "现役军人"
    frame = pl.DataFrame(rows, schema=KEYS, orient="row")
    return frame.with_row_index("row", offset=2).with_columns(pl.col("row").cast(pl.Int64))


@transaction.atomic
def load_people() -> dict:
    """Returns counts. Rosters are imported per township, in the name of that township's clerk."""
    frame = demo_roster()
    totals = {"households_created": 0, "persons_created": 0, "households_unchanged": 0}
    for township_code, username in (("610125100000", "ganting"), ("610125101000", "yuxia")):
        township = Region.objects.get(code=township_code)
        part = frame.filter(pl.col("region_code").str.starts_with(township.prefix))
        result = import_frame(part, actor=User.objects.get(username=username), township=township,
                              scheme_year=SCHEME_YEAR)
        if result.errors:
            raise RuntimeError(f"演示花名册有错误：{result.errors[:3]}")
        totals["households_created"] += result.households_created
        totals["persons_created"] += result.persons_created
        totals["households_unchanged"] += result.households_unchanged
    _certificates()
    _categories()
    return totals


def _certificates() -> None:
    households = list(Household.objects.filter(region__code__startswith="610125", certificates__isnull=True,
                                               enrollments__scheme_year=SCHEME_YEAR).distinct()
                      .order_by("number").values_list("pk", flat=True))
    numbers = certificate_numbers("610125", len(households)) if households else []
    if not households:
        return
    Certificate.objects.bulk_create([Certificate(household_id=h, number=n) for h, n in zip(households, numbers,
                                                                                            strict=True)])
    audit_record(actor=None, action="certificate.issue_batch", object_type="registry.certificate",
                 object_repr=f"{numbers[0]}–{numbers[-1]}", authority=AUTHORITY, region_code="610125000000",
                 after={"certificates": len(numbers), "first": numbers[0], "last": numbers[-1]})


def _categories() -> None:
    """A few people hold categories: the elderly living alone (五保), low-income (低保), registered poor, disabled."""
    if PersonCategory.objects.filter(authority=AUTHORITY).exists():
        return
    rng = random.Random(SEED + 1)
    people = list(Person.objects.filter(household__region__code__startswith="610125").order_by("id_number"))
    old = [p for p in people if p.birth_date.year < 1960]
    picks = [(Category.WUBAO, rng.sample(old, min(3, len(old)))),
             (Category.DIBAO, rng.sample(people, 8)), (Category.REGISTERED_POOR, rng.sample(people, 10)),
             (Category.DISABLED, rng.sample(people, 5))]
    rows = [PersonCategory(person=p, category=c, valid_from=dt.date(2024, 1, 1), authority=AUTHORITY)
            for c, ps in picks for p in ps]
    unique = {(r.person_id, r.category): r for r in rows}
    PersonCategory.objects.bulk_create(list(unique.values()))
    audit_record(actor=None, action="person.category_grant_batch", object_type="registry.personcategory",
                 authority=AUTHORITY, region_code="610125000000",
                 after={c: sum(1 for (_, cat) in unique if cat == c) for c, _ in picks})


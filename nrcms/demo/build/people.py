"""The built county's people: households of realistic size (mean ≈ 3.9: a head, usually a spouse, children,
sometimes a married son with his wife and children, sometimes a parent), names from Faker zh_CN (seeded), ID
numbers on real division codes as they were at birth (户县 612223 before 1983, 610125, 鄠邑区 610118 since 2016;
some spouses from the neighbouring 周至县 610124, 长安区 610116, 咸阳秦都区 610402) with the GB 11643 check digit,
each passing python-stdnum's `cn.ric` (which also checks the code existed on the birth date). About 12 % of
households do not join this year; in the rest a few members are covered elsewhere with a recorded reason,
so about 85 % of the agricultural population is enrolled (户县 85.3 %).

Written through the roster import's bulk path (`import_frame`: the same checks and writes as a township's
upload, audited per batch), township by township in the name of its clerk (the county office where the demo
has none). Categories and certificates follow in bulk, audited per batch."""

from __future__ import annotations

import datetime as dt
import random

import polars as pl
from faker import Faker
from stdnum.cn import ric

from nrcms.core.idnumber import make_id_number

from .regions import Township

NOT_JOINING = 0.14  # share of households that do not join this year
SPOUSE_FROM = [("610125", 0.80), ("610124", 0.08), ("610116", 0.07), ("610402", 0.05)]
RELATION_LABEL = {"head": "户主", "spouse": "配偶", "child": "子女", "child_in_law": "儿媳/女婿",
                  "grandchild": "孙子女/外孙子女", "parent": "父母"}
EXEMPTION_LABEL = {"employee_insurance": "已参加职工医保", "military": "现役军人", "student_elsewhere": "在外地就学已参保"}


class NamePool:
    """Faker zh_CN names drawn once (seeded) and then picked by the build's own generator: the same seed gives
    the same names, and 470,000 people do not cost 470,000 Faker calls."""

    def __init__(self, seed: int, size: int = 3000):
        fake = Faker("zh_CN")
        fake.seed_instance(seed)
        self.surnames = [fake.last_name() for _ in range(size)]
        self.male = [fake.first_name_male() for _ in range(size)]
        self.female = [fake.first_name_female() for _ in range(size)]


class Generator:
    def __init__(self, year: int, seed: int):
        self.year = year
        self.rng = random.Random(seed)
        self.names = NamePool(seed)
        self.used: set[str] = set()
        self.key = 0

    def _birth(self, year: int) -> dt.date:
        year = min(year, self.year - 1)
        return dt.date(year, 1, 1) + dt.timedelta(days=self.rng.randrange(365 if year % 4 else 366))

    def _id(self, birth: dt.date, sex: str, origin: str) -> str:
        """A number on the code the birthplace had on the birth date, as python-stdnum's list dates them: 户县 is
        612223 before 1983, 610125 until 2016, 鄠邑区 610118 since; a neighbour's code that did not exist yet
        falls back to 户县's of the time."""
        seq = self.rng.randrange(500)
        for division in (origin, "610118", "610125", "612223"):
            number = make_id_number(division, birth, seq, sex)
            if ric.is_valid(number):
                break
        while number in self.used:
            number = make_id_number(number[:6], birth, self.rng.randrange(500), sex)
        self.used.add(number)
        return number

    def _origin(self) -> str:
        r, acc = self.rng.random(), 0.0
        for code, share in SPOUSE_FROM:
            acc += share
            if r < acc:
                return code
        return "610125"

    def person(self, relation: str, birth: dt.date, sex: str, surname: str, origin: str = "610125") -> dict:
        given = self.rng.choice(self.names.male if sex == "M" else self.names.female)
        return {"relation": relation, "birth": birth, "sex": sex, "name": surname + given,
                "id_number": self._id(birth, sex, origin)}

    def household(self) -> list[dict]:
        """One household; mean size ≈ 3.9."""
        rng, y = self.rng, self.year
        surname = rng.choice(self.names.surnames)
        head_sex = "M" if rng.random() < 0.88 else "F"
        head_year = rng.randint(y - 78, y - 24)
        members = [self.person("head", self._birth(head_year), head_sex, surname)]
        other = "F" if head_sex == "M" else "M"
        if rng.random() < 0.86:
            members.append(self.person("spouse", self._birth(head_year + rng.randint(-3, 3)), other,
                                       rng.choice(self.names.surnames), self._origin()))
        children = rng.choice([0, 1, 1, 2, 2, 2, 3, 3])
        for n in range(children):
            members.append(self.person("child", self._birth(head_year + rng.randint(21, 32) + 2 * n),
                                       rng.choice("MF"), surname))
        adult_sons = [m for m in members if m["relation"] == "child" and m["sex"] == "M"
                      and y - m["birth"].year >= 24]
        if adult_sons and rng.random() < 0.45:  # three generations: the son's wife and children live here
            son_year = adult_sons[0]["birth"].year
            members.append(self.person("child_in_law", self._birth(son_year + rng.randint(-2, 3)), "F",
                                       rng.choice(self.names.surnames), self._origin()))
            for n in range(rng.choice([1, 1, 2])):
                members.append(self.person("grandchild", self._birth(son_year + rng.randint(23, 30) + 2 * n),
                                           rng.choice("MF"), surname))
        elif head_year > y - 60 and rng.random() < 0.25:
            members.append(self.person("parent", self._birth(head_year - rng.randint(22, 32)), rng.choice("MF"),
                                       surname))
        return members

    def exemption(self, p: dict) -> str:
        age = self.year - p["birth"].year
        r = self.rng.random()
        if 18 <= age <= 22 and r < 0.08:
            return "student_elsewhere"
        if 18 <= age <= 24 and p["sex"] == "M" and r < 0.12:
            return "military"
        if 22 <= age <= 55 and r < 0.035:
            return "employee_insurance"
        return ""


def village_quotas(townships: list[Township], persons: int, rng: random.Random) -> None:
    """Each village's agricultural population, summing to `persons` (county.yaml's figures as relative weights)."""
    villages = [v for t in townships for v in t.villages]
    weights = [rng.uniform(0.6, 1.4) for _ in villages]
    total = sum(weights)
    for v, w in zip(villages, weights, strict=True):
        v.population = max(1, int(persons * w / total))
    villages[0].population += persons - sum(v.population for v in villages)


def roster(townships: list[Township], year: int, seed: int) -> pl.DataFrame:
    """Every person as a roster row (the upload's columns) plus `joins` (the household joins this year),
    `township` and the generator's attributes the later steps use."""
    gen = Generator(year, seed)
    rows = []
    for t in townships:
        for v in t.villages:
            left = v.population
            while left > 0:
                members = gen.household()[:left]
                left -= len(members)
                gen.key += 1
                joins = gen.rng.random() >= NOT_JOINING
                group = gen.rng.choice(v.groups)
                phone = f"1{gen.rng.choice('3578')}{gen.rng.randrange(10**9):09d}"
                for n, p in enumerate(members):
                    reason = gen.exemption(p) if joins and n else ""
                    rows.append((str(gen.key), group, f"{gen.rng.randint(1, 160)} 号" if n == 0 else "", p["name"],
                                 p["id_number"], RELATION_LABEL[p["relation"]], phone if n == 0 else "",
                                 EXEMPTION_LABEL.get(reason, ""), "", joins, t.code))
    schema = ["household_key", "region_code", "address", "name", "id_number", "relation", "phone",
              "exemption_reason", "exemption_note", "joins", "township"]
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    return frame.with_row_index("row", offset=2).with_columns(pl.col("row").cast(pl.Int64))


def import_people(frame: pl.DataFrame, townships: list[Township], year: int, users: dict, progress=None) -> dict:
    """Township by township through the roster import; returns counts."""
    from nrcms.registry.models import Region
    from nrcms.registry.roster_import import import_frame
    from nrcms.registry.roster_template import KEYS

    totals = {"households": 0, "persons": 0, "enrolled": 0}
    clerks = {"610125100000": "ganting", "610125101000": "yuxia"}
    for t in townships:
        township = Region.objects.get(code=t.code)
        actor = users[clerks.get(t.code, "reviewer")]
        part = frame.filter(pl.col("township") == t.code)
        for joins in (True, False):
            rows = part.filter(pl.col("joins") == joins).select("row", *KEYS)
            if not rows.height:
                continue
            result = import_frame(rows, actor=actor, township=township, scheme_year=year if joins else None)
            if result.errors:
                raise RuntimeError(f"生成的花名册有错误：{result.errors[:3]}")
            totals["households"] += result.households_created
            totals["persons"] += result.persons_created
            totals["enrolled"] += result.persons_enrolled
            if progress:
                progress(rows.height)
    return totals


def certificates(year: int, authority: str) -> int:
    from nrcms.accounts.audit import audit_record
    from nrcms.registry.enrollment import certificate_numbers
    from nrcms.registry.models import Certificate, Household

    households = list(Household.objects.filter(enrollments__scheme_year=year, certificates__isnull=True).distinct()
                      .order_by("number").values_list("pk", flat=True))
    if not households:
        return 0
    numbers = certificate_numbers("610125", len(households))
    Certificate.objects.bulk_create([Certificate(household_id=h, number=n)
                                     for h, n in zip(households, numbers, strict=True)], batch_size=5000)
    audit_record(actor=None, action="certificate.issue_batch", object_type="registry.certificate",
                 object_repr=f"{numbers[0]}–{numbers[-1]}", authority=authority, region_code="610125000000",
                 after={"certificates": len(numbers), "first": numbers[0], "last": numbers[-1]})
    return len(numbers)


# Shares: households (dibao, registered poor) or persons (the rest); 五保 among those 60 and over.
CATEGORY_SHARES = {"dibao": 0.010, "registered_poor": 0.045, "wubao": 0.010, "tekun": 0.001, "disabled": 0.015,
                   "martyr_family": 0.002}


def categories(year: int, seed: int, authority: str) -> dict[str, int]:
    from nrcms.accounts.audit import audit_record
    from nrcms.registry.models import Person, PersonCategory

    rng = random.Random(seed + 1)
    people = list(Person.objects.order_by("id_number").values_list("pk", "household_id", "birth_date"))
    by_household: dict[int, list[int]] = {}
    for pk, hh, _ in people:
        by_household.setdefault(hh, []).append(pk)
    households = sorted(by_household)
    since = dt.date(year - 1, 1, 1)
    chosen: dict[tuple[int, str], None] = {}
    for cat in ("dibao", "registered_poor"):
        for hh in rng.sample(households, round(len(households) * CATEGORY_SHARES[cat])):
            chosen.update({(pk, cat): None for pk in by_household[hh]})
    old = [pk for pk, _, b in people if year - b.year >= 60]
    for cat, pool in (("wubao", old), ("tekun", old), ("disabled", [p[0] for p in people]),
                      ("martyr_family", old)):
        chosen.update({(pk, cat): None for pk in rng.sample(pool, min(len(pool), round(len(pool) * CATEGORY_SHARES[cat])))})
    PersonCategory.objects.bulk_create([PersonCategory(person_id=pk, category=cat, valid_from=since, authority=authority)
                                        for pk, cat in chosen], batch_size=5000)
    counts: dict[str, int] = {}
    for _, cat in chosen:
        counts[cat] = counts.get(cat, 0) + 1
    audit_record(actor=None, action="person.category_grant_batch", object_type="registry.personcategory",
                 authority=authority, region_code="610125000000", after=counts)
    return counts

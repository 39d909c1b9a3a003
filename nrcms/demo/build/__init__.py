"""`nrcms demo build`: a county the size and shape of 户县 (domain.md §3, §11), generated from a seed.

Steps (each through the services the users use, or their bulk paths with the same rules):
  regions.py     townships, villages (county.yaml's among them, same codes), groups; facilities at every level
  (users)        county.yaml's demo logins with their TOTP devices, a clerk per township, a desk per health centre
  people.py      households and persons through the roster import; categories; certificates
  enrollment.py  the contribution standard, every receipt with its ledger entry, subsidies due and received
  care.py        a year of admissions and visits settled by the county's scheme, with the ledger payables
  family_doctors.py  teams, contracts (most registered-poor households, a few others), visits, the monthly fee
  conditions.py  chronic-disease certificates for the year's chronic visitors, a few serious-illness cases
Same seed and size → same county (see `digest`). Refuses a database that already holds a county."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

from nrcms.demo.loader import AUTHORITY, DemoLogin, load_data, load_users

STEPS = ["区划与医疗机构", "账号", "花名册", "人员类别与合作医疗证", "个人缴费", "财政补助", "就诊与结算", "家庭医生签约",
         "慢病认定与大病救治", "核对账簿"]


@dataclass
class BuildReport:
    logins: list[DemoLogin] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    calibration: dict = field(default_factory=dict)
    books_ok: bool = False
    books: list[str] = field(default_factory=list)
    digest: str = ""


def database_is_empty() -> bool:
    from nrcms.registry.models import Person, Region

    return not Region.objects.exists() and not Person.objects.exists()


@contextlib.contextmanager
def _hash_each_password_once():
    """The demo's accounts share one public password (and the generated staff one random, unprinted password):
    hash each distinct password once — a real PBKDF2 hash, the same for every account that has it — instead of
    spending 0.6 s of PBKDF2 per account."""
    from django.contrib.auth import base_user
    from django.contrib.auth.hashers import make_password

    cache: dict[str, str] = {}
    real = base_user.make_password

    def once(raw, *args, **kwargs):
        if args or kwargs or raw is None:
            return real(raw, *args, **kwargs)
        if raw not in cache:
            cache[raw] = make_password(raw)
        return cache[raw]

    base_user.make_password = once
    try:
        yield
    finally:
        base_user.make_password = real


def _extra_users(townships, logins) -> tuple[dict, dict]:
    """A clerk for every township and a desk for every health centre that county.yaml does not staff; their
    passwords are random and never printed (the demo's own logins are the ones to use)."""
    from nrcms.accounts.models import User
    from nrcms.accounts.services import user_create
    from nrcms.facilities.models import Facility
    from nrcms.registry.models import Region

    password = "Dm-" + secrets.token_urlsafe(16) + "7"  # random, with every character class the policy asks for
    staffed_regions = set(User.objects.filter(role="township_clerk").values_list("region__code", flat=True))
    for t in townships:
        if t.code not in staffed_regions:
            user_create(actor=None, username=f"clerk{t.code[6:9]}", password=password,
                        role="township_clerk", display_name=f"{t.name}合管办", region=Region.objects.get(code=t.code),
                        authority=AUTHORITY)
    staffed = set(User.objects.filter(facility__isnull=False).values_list("facility__code", flat=True))
    for f in Facility.objects.filter(level="township").exclude(code__in=staffed).order_by("code"):
        user_create(actor=None, username=f"desk{f.code[-3:]}", password=password, role="hospital_desk",
                    display_name=f"{f.name}合疗科", facility=f, authority=AUTHORITY)
    users = {u.username: u for u in User.objects.select_related("facility", "region")}
    clerks = {u.region.code: u.username for u in users.values() if u.role == "township_clerk"}
    return users, clerks


@contextlib.contextmanager
def _queries_not_logged():
    """With DEBUG on (the dev settings `make demo` uses) Django keeps the text of every query with its parameters
    quoted in: for bulk inserts of thousands of rows that costs more than the inserts. Off while building."""
    from django.conf import settings

    debug = settings.DEBUG
    settings.DEBUG = False
    try:
        yield
    finally:
        settings.DEBUG = debug


def build(**kwargs) -> BuildReport:
    with _queries_not_logged():
        return _build(**kwargs)


def _build(*, persons: int, year: int, seed: int, today: dt.date | None = None,
          step: Callable[[str], None] | None = None, tick: Callable[[int, int], None] | None = None) -> BuildReport:
    """Build the county into the (empty, migrated) default database. step(name) announces each step; tick(done,
    total) reports progress within the long ones."""
    from django.db import transaction

    from nrcms.demo.catalogue import load_catalogue
    from nrcms.funding.checks import books_check

    from . import care, enrollment, people, regions

    today = today or timezone.localdate()
    say = step or (lambda name: None)
    report = BuildReport()
    import random

    say(STEPS[0])
    townships = regions.plan_regions(persons, seed)
    people.village_quotas(townships, persons, random.Random(seed))
    regions.assign_groups(townships)
    with transaction.atomic():
        regions.load_regions(townships, persons)
        from nrcms.demo.loader import load_facilities as demo_facilities

        demo_facilities(load_data())
        load_catalogue()  # mappings for county.yaml's facilities, as the small demo has them
        regions.load_facilities(townships)
    say(STEPS[1])
    with _hash_each_password_once():
        report.logins = load_users(load_data())
        users, clerks = _extra_users(townships, report.logins)
    say(STEPS[2])
    frame = people.roster(townships, year, seed)
    done, rows = [0], frame.height

    def rows_done(n):
        done[0] += n
        if tick:
            tick(done[0], rows)

    report.counts["people"] = people.import_people(frame, townships, year, users, progress=rows_done)
    del frame
    say(STEPS[3])
    report.counts["categories"] = people.categories(year, seed, AUTHORITY)
    report.counts["certificates"] = people.certificates(year, AUTHORITY)
    say(STEPS[4])
    enrollment.set_standard(year, AUTHORITY)
    report.counts["contributions"] = enrollment.collect(year, seed, users, clerks, today)
    say(STEPS[5])
    enrollment.subsidies(year, users, today)
    say(STEPS[6])
    done[0] = 0

    def care_tick(n, total):
        done[0] += n
        if tick:
            tick(done[0], total)

    report.counts["care"] = care.simulate(year, seed, users, today, progress=care_tick)
    say(STEPS[7])
    from . import family_doctors

    report.counts["family_doctors"] = family_doctors.sign(year, seed, users, today)
    say(STEPS[8])
    from . import conditions

    report.counts["conditions"] = conditions.record(year, seed, users, today)
    say(STEPS[9])
    books = books_check(year)
    report.books_ok, report.books = books.ok, books.problems + books.facts
    report.calibration = care.calibration(year)
    report.digest = digest()
    return report


def digest() -> str:
    """SHA-256 over what the seed decides: persons, households, enrollments, receipts, settlements, family-doctor
    contracts (natural keys
    and amounts, not primary keys or timestamps)."""
    from nrcms.claims.models import Settlement
    from nrcms.funding.models import Contribution
    from nrcms.registry.models import Enrollment, Person

    h = hashlib.sha256()
    for row in Person.objects.order_by("id_number").values_list("id_number", "name", "relation", "household__number",
                                                                "household__region__code").iterator(chunk_size=20000):
        h.update(repr(row).encode())
    for row in Enrollment.objects.order_by("person__id_number").values_list("person__id_number", "scheme_year",
                                                                           "status").iterator(chunk_size=20000):
        h.update(repr(row).encode())
    for row in Contribution.objects.order_by("receipt_number").values_list(
            "receipt_number", "household__number", "payer_kind", "payer_name", "paid_on", "total").iterator(chunk_size=20000):
        h.update(repr(row).encode())
    for row in Settlement.objects.order_by("number").values_list(
            "number", "episode__facility__code", "episode__serial", "episode__person__id_number", "total_cost",
            "fund_total", "self_pay").iterator(chunk_size=20000):
        h.update(repr(row).encode())
    from nrcms.family_doctors.models import Contract

    for row in Contract.objects.order_by("number").values_list("number", "household__number", "team__name",
                                                               "package", "start", "fee_fund").iterator(chunk_size=20000):
        h.update(repr(row).encode())
    return h.hexdigest()

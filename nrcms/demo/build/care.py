"""A year of care for the built county, settled by the engine the desks use (`nrcms.policy.settle` with the
county's scheme file, `claims.settlement.county_scheme()`), written in bulk.

Per 10,000 enrollees a year (户县's first year, domain.md §11): about 374 admissions (14,956 of 400,184) and
1,300 outpatient reimbursements (≈ 52,000). Admissions go to the patient's township health centre or to a
county hospital, mostly the elderly and small children, deliveries for young women; their bills are the
demo's clinical templates (nrcms/demo/claims.py: diagnoses, items, county prices, cheaper services in
townships) with a length of stay drawn around the template's, and a few serious cases (heart attacks with
stents, heart failure) that reach the upper brackets and the annual cap. Visits are the demo's outpatient
templates at the township health centre (or 东韩村's clinic) and are paid from the family account.

Each episode is settled in date order with the person's year-to-date totals and the household's family
account kept in memory exactly as PersonYear and the ledger would hold them, so each result is what
settlement_settle would have computed at that moment. Written per batch: episodes, charge lines,
settlements (with the engine's inputs and explanation, as the desk stores them), the payable entry of each
— Dr 3101 / 3102-户 / 1301–1303, Cr 2201-机构, as ledger.settlement_post — and one audit row per batch."""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import math
import random
from dataclasses import dataclass, fields, replace
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.claims.models import ChargeLine, Episode, EpisodeKind, EpisodeStatus, PersonYear, Settlement
from nrcms.claims.settlement import AMOUNT_FIELDS, YTD_FIELDS, county_scheme
from nrcms.core.jsonable import jsonable
from nrcms.core.masking import mask_id
from nrcms.core.money import ZERO, round_amount
from nrcms.demo.claims import ACUTE_MI, ADMISSIONS, DAILY_CARE, HEART_FAILURE, PRICES, SERVICE_FACTOR, VISITS
from nrcms.facilities.models import CatalogueItem, Facility
from nrcms.funding import ledger, summary
from nrcms.funding.models import Account, JournalEntry, JournalLine
from nrcms.policy import ChargeItem, Person, YearToDate, settle
from nrcms.policy import Episode as EngineEpisode
from nrcms.registry import addresses
from nrcms.registry.models import (
    Certificate,
    CertificateStatus,
    Enrollment,
    EnrollmentStatus,
    PersonCategory,
    Region,
)
from nrcms.stats import facts

ADMISSIONS_PER_10K = 374
VISITS_PER_10K = 1600  # about 1,300 of them find money in the family account (户县: ≈ 52,000 a year)
COUNTY_SHARE = 0.32  # admissions at a county hospital (the rest at the township health centre)
SERIOUS_SHARE = 0.035  # of county admissions: the cardiac templates, long and costly
BATCH = 4000
AUTHORITY = "演示数据（批量生成，按县补偿方案逐笔计算）"


@dataclass
class Patient:
    pk: int
    id_number: str
    age: int
    sex: str
    household: int
    household_number: str
    enrollment: int
    region: str


@dataclass
class Planned:
    facility: str
    kind: str
    patient: Patient
    admission: dt.date
    discharge: dt.date | None
    diagnosis: tuple[str, str]
    department: str
    lines: list[tuple[str, Decimal]]  # catalogue code, quantity
    serial: str = ""


def _age_weight(p: Patient) -> float:
    a = p.age
    return 1.6 if a < 5 else 0.4 if a < 15 else 0.7 if a < 45 else 1.3 if a < 65 else 2.6


def _fits(p: Patient, who: str) -> bool:
    return {"any": True, "child": p.age < 14, "adult": 18 <= p.age < 70, "elderly": p.age >= 55,
            "mother": p.sex == "F" and 20 <= p.age <= 40}[who]


class Planner:
    def __init__(self, patients: list[Patient], year: int, seed: int, centres: dict[str, str], last_day: dt.date):
        self.rng = random.Random(seed + 3)
        self.year, self.patients, self.centres, self.last_day = year, patients, centres, last_day
        weights = [_age_weight(p) for p in patients]
        self.cum = [0.0] * len(weights)
        total = 0.0
        for i, w in enumerate(weights):
            total += w
            self.cum[i] = total
        self.mothers = [p for p in patients if _fits(p, "mother")]
        self.plan: list[Planned] = []

    def _someone(self, weighted: bool = True) -> Patient:
        if not weighted:
            return self.rng.choice(self.patients)
        return self.patients[bisect.bisect_left(self.cum, self.rng.random() * self.cum[-1])]

    def _day(self) -> dt.date:
        """A day of the year so far (a year not yet over gets the same number of episodes, closer together)."""
        start = dt.date(self.year, 1, 1)
        return start + dt.timedelta(days=self.rng.randrange((self.last_day - start).days + 1))

    def admissions(self, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            county = rng.random() < COUNTY_SHARE
            if county and rng.random() < SERIOUS_SHARE:
                code, name, department, stay, once, daily = rng.choice([ACUTE_MI, HEART_FAILURE])
                patient = next(p for p in iter(self._someone, None) if p.age >= 45)
                stay = max(4, round(stay * rng.lognormvariate(-0.6, 0.5)))
                once = [(c, q if c != "YP0106" else rng.randint(0, 10)) for c, q in once
                        if rng.random() < 0.6 or c.startswith("ZL01")]
                once = [(c, q) for c, q in once if q]
            else:
                level = "county" if county else "township"
                templates = [a for a in ADMISSIONS if a[7] == "township" or county]
                code, name, who, department, (low, high), once, daily, _ = rng.choice(templates)
                patient = rng.choice(self.mothers) if who == "mother" else next(
                    p for p in iter(self._someone, None) if _fits(p, who))
                stay = max(1, round(rng.randint(low, high) * rng.lognormvariate(-0.3, 0.6)))
                if level == "township":
                    stay = max(1, stay - 1)
            facility = (rng.choice(["H610125001", "H610125001", "H610125001", "H610125002"]) if county
                        else self.centres.get(patient.region[:9], "H610125101"))
            admit = self._day()
            discharge = admit + dt.timedelta(days=stay)
            if discharge > self.last_day:  # still in hospital at the end: admitted earlier instead
                admit, discharge = self.last_day - dt.timedelta(days=stay), self.last_day
            lines = [(c, Decimal(q)) for c, q in once]
            for c, q in [*DAILY_CARE, *daily]:
                lines.append((c, Decimal(q * stay + sum(rng.random() < 0.3 for _ in range(min(stay, 3))))))
            self.plan.append(Planned(facility, EpisodeKind.INPATIENT, patient, admit, discharge, (code, name),
                                     department, lines))

    def visits(self, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            code, name, who, department, lines = rng.choice(VISITS)
            patient = next(p for p in iter(lambda: self._someone(rng.random() < 0.5), None) if _fits(p, who))
            facility = self.centres.get(patient.region[:9], "H610125101")
            if patient.region.startswith("610125100201") and rng.random() < 0.6:
                facility, department = "C610125100201", "全科"
            day = self._day()
            self.plan.append(Planned(facility, EpisodeKind.OUTPATIENT, patient, day, None, (code, name), department,
                                     [(c, Decimal(q)) for c, q in lines]))

    def ordered(self) -> list[Planned]:
        plan = sorted(self.plan, key=lambda p: (p.discharge or p.admission, p.facility, p.kind, p.patient.id_number))
        counters: dict[tuple, int] = {}
        for p in plan:
            prefix = "ZY" if p.kind == EpisodeKind.INPATIENT else "MZ"
            key = (p.facility, prefix, p.admission)
            counters[key] = counters.get(key, 0) + 1
            p.serial = f"{prefix}{p.admission:%Y%m%d}{counters[key]:04d}"
        return plan


def _patients(year: int) -> list[Patient]:
    rows = (Enrollment.objects.filter(scheme_year=year, status=EnrollmentStatus.ENROLLED)
            .order_by("person__id_number")
            .values_list("person_id", "person__id_number", "person__birth_date", "person__sex", "household_id",
                         "household__number", "pk", "household__region__code"))
    return [Patient(pk, n, year - b.year, s, hh, num, e, r) for pk, n, b, s, hh, num, e, r in rows]


def _particulars(year: int) -> dict[int, dict]:
    """holder_particulars for every enrolled household at once: certificate, head, address."""
    regions = {r.pk: r for r in Region.objects.all()}

    def chain(region):
        out = []
        while region is not None:
            out.append(region)
            region = regions.get(region.parent_id)
        return list(reversed(out))

    certs = dict(Certificate.objects.filter(status=CertificateStatus.VALID).values_list("household_id", "number"))
    from nrcms.registry.models import Household
    from nrcms.registry.models import Person as PersonRow

    heads = {hh: (name, idn) for hh, name, idn in PersonRow.objects.filter(relation="head", status="active")
             .values_list("household_id", "name", "id_number")}
    out = {}
    for hh, region_id, address in Household.objects.filter(enrollments__scheme_year=year).distinct() \
            .values_list("pk", "region_id", "address"):
        links = chain(regions[region_id])
        county = next((r.name for r in links if r.level == "county"), "")
        head = heads.get(hh)
        out[hh] = {"certificate": certs.get(hh, ""), "head": head[0] if head else "",
                   "head_id": mask_id(head[1]) if head else "",
                   "address": addresses.address([r.name for r in links if r.level != "county"], address, county=county)}
    return out


def _number_block(name: str, count: int) -> int:
    """`count` consecutive settlement numbers from the counter settlement_settle takes from (gaps=True)."""
    from django.db import connection

    from nrcms.registry.people import _pg_sequence_name, sequence_take

    if connection.vendor != "postgresql":
        return sequence_take(name, count)
    first = sequence_take(name, 1, gaps=True)
    if count > 1:
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(%s, %s)", [_pg_sequence_name(name), first + count - 1])
    return first


def simulate(year: int, seed: int, users: dict, today: dt.date, progress=None) -> dict:
    last_day = min(dt.date(year, 12, 31), today - dt.timedelta(days=1))
    patients = _patients(year)
    facilities = {f.code: f for f in Facility.objects.select_related("region")}
    centres = {f.region.code[:9]: f.code for f in facilities.values() if f.level == "township"}
    planner = Planner(patients, year, seed, centres, last_day)
    enrolled = len(patients)
    planner.admissions(round(enrolled * ADMISSIONS_PER_10K / 10_000))
    planner.visits(round(enrolled * VISITS_PER_10K / 10_000))
    plan = planner.ordered()
    if progress:
        progress(0, len(plan))
    items = {i.code: i for i in CatalogueItem.objects.filter(valid_to__isnull=True)}
    categories: dict[int, set[str]] = {}
    for pid, cat in PersonCategory.objects.held_on(dt.date(year, 6, 30)).values_list("person_id", "category"):
        categories.setdefault(pid, set()).add(cat)
    family = _family_balances()
    desks = {u.facility.code: u for u in users.values() if u.facility_id}
    scheme_file = county_scheme()
    particulars = _particulars(year)
    ytd: dict[int, YearToDate] = {}
    paid_today: dict[tuple[int, dt.date], Decimal] = {}
    first = _number_block(f"js-{year}", len(plan)) if plan else 0
    payables = {code: ledger.payable_to(f) for code, f in facilities.items() if code in desks}
    fixed = {code: ledger.account(code) for code in (ledger.POOLED_FUND, *ledger.LAYER_RECEIVABLE.values())}
    family_accounts = {a.household_id: a for a in Account.objects.filter(household__isnull=False)}
    stats = {"inpatient": 0, "outpatient": 0, "refused": 0}
    for start in range(0, len(plan), BATCH):
        chunk = plan[start:start + BATCH]
        rows = []
        for n, p in enumerate(chunk):
            f = facilities[p.facility]
            charges = _charges(p, f, items)
            engine_episode = EngineEpisode(kind=p.kind, facility_level=f.level, admission_date=p.admission,
                                           discharge_date=p.discharge, charges=tuple(c for c, _ in charges),
                                           in_county=True, designated=True, referred=False,
                                           diagnosis_code=p.diagnosis[0])
            person = Person(frozenset(categories.get(p.patient.pk, ())))
            before = ytd.get(p.patient.pk, YearToDate())
            if p.kind == EpisodeKind.OUTPATIENT:
                before = replace(before, outpatient_paid_today=paid_today.get((p.patient.pk, p.admission), ZERO),
                                 family_account_balance=family.get(p.patient.household, ZERO))
            result = settle(engine_episode, scheme_file, before, person=person)
            if result.refused:
                stats["refused"] += 1
                continue
            after = result.ytd_after
            ytd[p.patient.pk] = replace(after, outpatient_paid_today=ZERO, family_account_balance=ZERO)
            if p.kind == EpisodeKind.OUTPATIENT:
                key = (p.patient.pk, p.admission)
                paid_today[key] = paid_today.get(key, ZERO) + result.basic
                family[p.patient.household] = family.get(p.patient.household, ZERO) - result.family_account
            inputs = {"episode": jsonable({fl.name: getattr(engine_episode, fl.name) for fl in fields(engine_episode)
                                           if fl.name != "charges"}),
                      "charges": [jsonable({fl.name: getattr(c, fl.name) for fl in fields(c)})
                                  for c, _ in charges],
                      "categories": sorted(person.categories), "year_to_date": before.to_dict(),
                      "scheme_file": scheme_file.id}
            rows.append((p, charges, result, inputs, first + start + n))
            stats[p.kind] += 1
        _write(rows, year, facilities, desks, particulars, payables, fixed, family_accounts)
        if progress:
            progress(len(chunk), len(plan))
    PersonYear.objects.bulk_create([PersonYear(person_id=pk, scheme_year=year,
                                               **{name: getattr(t, name) for name in YTD_FIELDS})
                                    for pk, t in sorted(ytd.items())], batch_size=5000)
    return stats


def _family_balances() -> dict[int, Decimal]:
    from django.db.models import Sum

    out = {}
    for hh, c, d in (JournalLine.objects.filter(account__household__isnull=False)
                     .values_list("account__household_id").annotate(c=Sum("credit"), d=Sum("debit"))):
        out[hh] = ledger.fen_sum(c) - ledger.fen_sum(d)
    return out


def _charges(p: Planned, facility, items) -> list[tuple[ChargeItem, ChargeLine]]:
    out = []
    prefix = facility.code[-4:]
    for line_no, (code, qty) in enumerate(p.lines, start=1):
        item = items[code]
        price = Decimal(PRICES[code])
        if code[:2] in ("ZL", "HC"):
            price = (price * SERVICE_FACTOR[facility.level]).quantize(Decimal("0.1"))
        amount = (qty * price).quantize(Decimal("0.01"))
        engine = ChargeItem(code=code, name=item.name, amount=amount, catalogue_class=item.catalogue_class,
                            first_self_pay_share=item.first_self_pay_share, quantity=qty, price_limit=item.price_limit)
        row = ChargeLine(line_no=line_no, facility_item_code=f"{prefix}-{code}", item_name=item.name,
                         charged_on=p.admission, quantity=qty, unit_price=price, amount=amount, catalogue_code=code,
                         catalogue_class=item.catalogue_class, first_self_pay_share=item.first_self_pay_share,
                         price_limit=item.price_limit)
        out.append((engine, row))
    return out


def _settled_at(p: Planned) -> dt.datetime:
    day = p.discharge or p.admission
    minute = 8 * 60 + 30 + sum(map(ord, p.serial)) % 480
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=timezone.get_current_timezone()) + dt.timedelta(minutes=minute)


@contextlib.contextmanager
def _stamped_as_given(model, name: str):
    """Let a bulk insert keep the times set on the rows instead of auto_now_add's "now"."""
    f = model._meta.get_field(name)
    f.auto_now_add = False
    try:
        yield
    finally:
        f.auto_now_add = True


@transaction.atomic
def _write(rows, year, facilities, desks, particulars, payables, fixed, family_accounts) -> None:
    if not rows:
        return
    episodes = [Episode(facility=facilities[p.facility], serial=p.serial, kind=p.kind, person_id=p.patient.pk,
                        household_id=p.patient.household, enrollment_id=p.patient.enrollment, scheme_year=year,
                        admission_date=p.admission, discharge_date=p.discharge, diagnosis_code=p.diagnosis[0],
                        diagnosis_name=p.diagnosis[1], department=p.department, status=EpisodeStatus.SETTLED,
                        created_by=desks[p.facility]) for p, *_ in rows]
    Episode.objects.bulk_create(episodes, batch_size=2000)
    lines = []
    for e, (_, charges, *_rest) in zip(episodes, rows, strict=True):
        for _, line in charges:
            line.episode = e
            lines.append(line)
    ChargeLine.objects.bulk_create(lines, batch_size=5000)
    settlements = [Settlement(episode=e, number=f"JS{year}{number:07d}", scheme_id=r.scheme_id,
                              scheme_version=r.scheme_version, scheme_effective=r.scheme_effective, inputs=inputs,
                              result=r.to_dict(), issued=particulars.get(p.patient.household),
                              settled_by=desks[p.facility], **{name: getattr(r, name) for name in AMOUNT_FIELDS})
                   for e, (p, _, r, inputs, number) in zip(episodes, rows, strict=True)]
    for s, (p, *_rest) in zip(settlements, rows, strict=True):
        s.settled_at = _settled_at(p)
    with _stamped_as_given(Settlement, "settled_at"):  # the day of care, as nrcms/demo/claims.py stamps them
        Settlement.objects.bulk_create(settlements, batch_size=2000)
    entries, entry_lines = [], []
    for s, (p, *_rest) in zip(settlements, rows, strict=True):
        parts = [(fixed[ledger.POOLED_FUND], s.basic + s.fixed_fee + s.subsidy)]
        if s.family_account:
            parts.append((family_accounts[p.patient.household], s.family_account))
        parts += [(fixed[code], getattr(s, layer)) for layer, code in ledger.LAYER_RECEIVABLE.items()]
        parts = [(a, amount) for a, amount in parts if amount]
        if not parts:
            continue
        facility = facilities[p.facility]
        entries.append(JournalEntry(date=s.settled_at.date(), kind="settlement", created_by=s.settled_by,
                                    description=f"结算 {s.number}（{facility.name}，{p.serial}）",
                                    source_type="claims.settlement", source_id=str(s.pk),
                                    idempotency_key=f"settlement-{s.pk}"))
        entry_lines.append([(a, amount, ZERO) for a, amount in parts] + [(payables[p.facility], ZERO, s.fund_total)])
    JournalEntry.objects.bulk_create(entries, batch_size=2000)
    journal_lines = [JournalLine(entry=e, account=a, debit=d, credit=c)
                     for e, lines_ in zip(entries, entry_lines, strict=True) for a, d, c in lines_]
    JournalLine.objects.bulk_create(journal_lines, batch_size=5000)
    summary.record_lines(journal_lines)
    facts.add(settlement_ids=[s.pk for s in settlements])  # the statistics' rows, in this transaction
    fund = sum((s.fund_total for s in settlements), ZERO)
    audit_record(actor=None, action="settlement.settle_batch", object_type="claims.settlement",
                 object_repr=f"{settlements[0].number}–{settlements[-1].number}", authority=AUTHORITY,
                 region_code="610125000000",
                 after={"settlements": len(settlements), "fund_total": fund,
                        "first_day": min(s.settled_at for s in settlements).date(),
                        "last_day": max(s.settled_at for s in settlements).date()})


def calibration(year: int) -> dict:
    """The figures of domain.md §11 for the built year, per 10,000 enrollees and per reimbursement."""
    from django.db.models import Avg, Count, Q, Sum

    enrolled = Enrollment.objects.filter(scheme_year=year, status=EnrollmentStatus.ENROLLED).count()
    qs = Settlement.objects.filter(episode__scheme_year=year, kind="settlement", status="active")
    inp = qs.filter(episode__kind=EpisodeKind.INPATIENT)
    out = qs.filter(episode__kind=EpisodeKind.OUTPATIENT, fund_total__gt=0)
    i = inp.aggregate(n=Count("id"), cost=Avg("total_cost"), fund=Avg("fund_total"), total=Sum("fund_total"),
                      over2k=Count("id", filter=Q(fund_total__gt=2000)), over5k=Count("id", filter=Q(fund_total__gt=5000)),
                      over10k=Count("id", filter=Q(fund_total__gt=10000)))
    o = out.aggregate(n=Count("id"), fund=Avg("fund_total"))
    per = 10_000 / enrolled if enrolled else 0
    def yuan(avg) -> Decimal:  # an average amount, to the fen through the one rounding function
        return round_amount(Decimal(avg or 0))

    by_level = {lvl: yuan(inp.filter(episode__facility__level=lvl).aggregate(a=Avg("total_cost"))["a"])
                for lvl in ("township", "county")}
    return {"enrolled": enrolled, "admissions_per_10k": round(i["n"] * per, 1),
            "outpatient_per_10k": round(o["n"] * per, 1), "avg_inpatient_cost": yuan(i["cost"]),
            "avg_inpatient_cost_by_level": by_level,
            "avg_inpatient_fund": yuan(i["fund"]), "avg_outpatient_fund": yuan(o["fund"]),
            "ratio": (Decimal(i["fund"] or 0) / Decimal(i["cost"] or 1)).quantize(Decimal("0.001")),
            "over_2000_per_10k": round(i["over2k"] * per, 2), "over_5000_per_10k": round(i["over5k"] * per, 2),
            "over_10000_per_10k": round(i["over10k"] * per, 2), "admissions": i["n"], "outpatient": o["n"],
            "math_ok": math.isfinite(per)}

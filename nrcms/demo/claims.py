"""Demo claims: four weeks of outpatient visits and admissions at every in-county demo facility, each made by
that facility's own desk through the desk and settlement services (register, upload charges, discharge,
settle; one settlement reversed with a reason, corrected and settled again), so a newcomer can follow a
claim from the desk to the fund ledger. Charge lines use each facility's mapped codes (`<last 4 of the
facility code>-<catalogue code>`), with 甲/乙/丙 items; a registered-poor patient's admissions reach the
catastrophic-insurance, assistance and safety-net layers.

Each settlement is stamped with the day of its visit or discharge (a time within office hours, and its
ledger entry dated alike), as if the desks had settled over those four weeks rather than at load time, so
the October statements and the daily reconciliation have something to show. Only the audit trail keeps the
real load time: its rows are hash-chained and are never rewritten.

Seeded and idempotent: the plan depends only on the seed and the people loaded before it, and an episode
already settled is left alone, so a second `nrcms demo load` writes nothing."""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from nrcms.accounts.models import User
from nrcms.claims.desk import episode_discharge
from nrcms.claims.desk_admission import AdmissionInput, admission_register
from nrcms.claims.desk_charges import ChargeInput, charges_upload
from nrcms.claims.models import Episode, EpisodeKind, EpisodeStatus, Settlement, SettlementKind
from nrcms.claims.settlement import settlement_reverse, settlement_settle
from nrcms.core.errors import NrcmsError
from nrcms.facilities.models import CatalogueItem
from nrcms.registry.models import Category, Enrollment, EnrollmentStatus, PersonCategory, PersonStatus
from nrcms.stats import facts

log = logging.getLogger(__name__)
SEED = 20261124
YEAR = 2026
LAST_DAY = dt.date(2026, 11, 20)  # a few days before the demo's "today" (2026-11-24)
DAYS = 28
FIRST_DAY = LAST_DAY - dt.timedelta(days=DAYS - 1)

# Facility code → (its desk's username, outpatient visits per day, admissions over the four weeks).
FACILITIES = {
    "H610125001": ("desk_county", 2.0, 12),
    "H610125002": ("desk_tcm", 1.0, 4),
    "H610125101": ("desk_ganting", 1.5, 6),
    "H610125102": ("desk_yuxia", 1.0, 4),
    "H610125103": ("desk_zuan", 0.7, 3),
    "C610125100201": ("desk_donghan_clinic", 1.5, 0),
}
DESK_USERNAMES = [desk for desk, _, _ in FACILITIES.values()]
LEVEL = {"H610125001": "county", "H610125002": "county", "H610125101": "township", "H610125102": "township",
         "H610125103": "township", "C610125100201": "village"}
# Where the patients of a township or village facility live (region code prefix); county hospitals: anywhere.
CATCHMENT = {"H610125101": "610125100", "H610125102": "610125101", "C610125100201": "610125100201"}

# County-level prices; services (ZL/HC) are cheaper in townships and village clinics, drugs are not
# (zero mark-up). Services with a catalogue price limit are charged at or below it.
PRICES = {
    "YP0001": "14.50", "YP0002": "2.80", "YP0003": "18.60", "YP0004": "9.80", "YP0005": "12.40",
    "YP0006": "3.80", "YP0007": "3.60", "YP0008": "9.60", "YP0009": "6.50", "YP0010": "2.50",
    "YP0101": "16.80", "YP0102": "22.50", "YP0103": "38.00", "YP0104": "45.00", "YP0105": "36.00",
    "YP0106": "1500.00", "YP0107": "68.00", "YP0201": "380.00", "YP0202": "28.00", "YP0203": "168.00",
    "ZL0001": "30.00", "ZL0002": "10.00", "ZL0003": "15.00", "ZL0004": "20.00", "ZL0005": "12.00",
    "ZL0006": "25.00", "ZL0007": "15.00", "ZL0008": "60.00", "ZL0009": "25.00", "ZL0010": "80.00",
    "ZL0011": "70.00", "ZL0101": "260.00", "ZL0102": "600.00", "ZL0103": "420.00", "ZL0104": "4500.00",
    "ZL0105": "300.00", "ZL0201": "900.00", "ZL0202": "1200.00", "ZL0203": "500.00", "ZL0204": "1600.00",
    "ZL0205": "1000.00", "ZL0301": "80.00", "HC0001": "5.00", "HC0002": "2.00", "HC0101": "800.00",
    "HC0102": "1000.00", "HC0103": "900.00",
}
SERVICE_FACTOR = {"county": Decimal("1"), "township": Decimal("0.8"), "village": Decimal("0.6")}

# Outpatient visits: diagnosis, who, department, lines (code, quantity). Each comes to about 20–60 yuan.
VISITS = [
    ("J06.9", "急性上呼吸道感染", "any", "内科", [("ZL0002", 1), ("YP0001", 2)]),
    ("J06.9", "急性上呼吸道感染", "child", "儿科", [("ZL0002", 1), ("YP0001", 1), ("ZL0006", 1)]),
    ("J20.9", "急性支气管炎", "any", "内科", [("ZL0002", 1), ("YP0001", 1), ("YP0202", 1)]),
    ("A09.9", "胃肠炎和结肠炎", "any", "内科", [("ZL0002", 1), ("ZL0005", 1), ("YP0006", 2), ("HC0001", 1)]),
    ("K29.7", "胃炎", "adult", "内科", [("ZL0002", 1), ("YP0202", 1)]),
    ("I10.x", "特发性（原发性）高血压", "elderly", "内科", [("ZL0002", 1), ("YP0003", 2)]),
    ("E11.9", "2型糖尿病不伴有并发症", "elderly", "内科", [("ZL0002", 1), ("YP0004", 2), ("ZL0006", 1)]),
    ("T14.1", "开放性伤口", "any", "外科", [("ZL0002", 1), ("HC0002", 2), ("YP0002", 2), ("YP0005", 1)]),
    ("M17.9", "膝关节病", "elderly", "中医科", [("ZL0002", 1), ("YP0005", 1), ("YP0202", 1)]),
]
# Admissions: diagnosis, who, department, days (min, max), one-off lines, daily lines, minimum level.
ADMISSIONS = [
    ("J18.9", "肺炎", "any", "内科", (5, 9), [("ZL0006", 2), ("ZL0011", 1), ("ZL0008", 1)],
     [("YP0008", 2), ("YP0006", 2), ("ZL0005", 2)], "township"),
    ("J44.1", "慢性阻塞性肺病伴有急性加重", "elderly", "内科", (7, 12), [("ZL0006", 2), ("ZL0011", 1), ("ZL0009", 1)],
     [("YP0101", 2), ("YP0006", 2), ("ZL0005", 2)], "township"),
    ("A09.9", "胃肠炎和结肠炎", "any", "内科", (3, 5), [("ZL0006", 1), ("ZL0007", 1)],
     [("YP0006", 3), ("YP0009", 1), ("ZL0005", 3)], "township"),
    ("O80.0", "头位顺产", "mother", "妇产科", (3, 4), [("ZL0203", 1), ("YP0010", 2), ("ZL0006", 1)],
     [("YP0007", 1), ("ZL0005", 1)], "township"),
    ("I63.9", "脑梗死", "elderly", "神经内科", (10, 14), [("ZL0101", 1), ("ZL0102", 1), ("ZL0008", 2), ("ZL0009", 1)],
     [("YP0105", 1), ("YP0104", 1), ("YP0103", 1), ("YP0006", 2), ("ZL0005", 2)], "county"),
    ("K35.8", "急性阑尾炎", "adult", "普外科", (5, 7), [("ZL0201", 1), ("ZL0006", 2), ("ZL0010", 1), ("YP0201", 1)],
     [("YP0008", 2), ("YP0009", 1), ("ZL0005", 2)], "county"),
    ("O82.0", "选择性剖宫产术的分娩", "mother", "妇产科", (5, 6), [("ZL0202", 1), ("ZL0006", 2), ("ZL0010", 1)],
     [("YP0008", 2), ("YP0007", 2), ("ZL0005", 2)], "county"),
    ("H25.9", "老年性白内障", "elderly", "眼科", (2, 3), [("ZL0204", 1), ("HC0102", 1), ("ZL0006", 1), ("ZL0009", 1)],
     [("YP0005", 1)], "county"),
    ("K40.9", "单侧或未特指的腹股沟疝", "adult", "普外科", (4, 6), [("ZL0205", 1), ("HC0103", 1), ("ZL0006", 1)],
     [("YP0008", 2), ("ZL0005", 1)], "county"),
    ("M51.2", "腰椎间盘移位", "adult", "针灸推拿科", (10, 14), [("ZL0102", 1), ("ZL0011", 1)],
     [("YP0105", 1), ("YP0203", 1), ("ZL0005", 1)], "county"),
]
# The registered-poor patient's two admissions at the county hospital (see Planner.poor_admissions).
ACUTE_MI = ("I21.9", "急性心肌梗死", "心内科", 16,
            [("ZL0104", 1), ("HC0101", 3), ("YP0106", 12), ("ZL0101", 2), ("ZL0102", 1), ("ZL0008", 4),
             ("ZL0009", 6), ("ZL0010", 2), ("YP0201", 6)],
            [("ZL0105", 1), ("YP0105", 2), ("YP0104", 1), ("YP0103", 1), ("YP0102", 2), ("ZL0005", 3)])
HEART_FAILURE = ("I50.9", "心力衰竭", "心内科", 8,
                 [("ZL0101", 1), ("ZL0008", 2), ("ZL0009", 3), ("ZL0010", 1), ("YP0201", 4)],
                 [("ZL0105", 1), ("YP0105", 2), ("YP0102", 2), ("YP0107", 2), ("YP0006", 3), ("ZL0005", 3)])
DAILY_CARE = [("ZL0001", 1), ("ZL0003", 1), ("ZL0004", 1)]  # bed, ward round, nursing
REVERSAL_REASON = "出院带药漏传，冲正后补传费用重新结算"
LEVEL_ORDER = {"village": 0, "township": 1, "county": 2}


@dataclass
class Planned:
    facility: str
    serial: str
    kind: str
    id_number: str
    admission: dt.date
    discharge: dt.date | None
    diagnosis: tuple[str, str]
    department: str
    lines: list[tuple[str, int, dt.date]]  # catalogue code, quantity, charge date
    reverse_and_add: list[tuple[str, int, dt.date]] = field(default_factory=list)


@dataclass
class Patient:
    id_number: str
    age: int
    sex: str
    region: str


def _people() -> list[Patient]:
    rows = (Enrollment.objects.filter(scheme_year=YEAR, status=EnrollmentStatus.ENROLLED,
                                      person__status=PersonStatus.ACTIVE)
            .values_list("person__id_number", "person__birth_date", "person__sex", "household__region__code")
            .order_by("person__id_number"))
    return [Patient(n, YEAR - b.year, s, r) for n, b, s, r in rows]


def _fits(p: Patient, who: str) -> bool:
    return {"any": True, "child": p.age < 14, "adult": 18 <= p.age < 70, "elderly": p.age >= 55,
            "mother": p.sex == "F" and 20 <= p.age <= 40}[who]


class Planner:
    def __init__(self, people: list[Patient], poor: list[str]):
        self.rng = random.Random(SEED)
        self.people = people
        self.poor = set(poor)
        self.busy: dict[str, list[tuple[dt.date, dt.date]]] = {}
        self.serials: dict[tuple[str, str, dt.date], int] = {}
        self.plan: list[Planned] = []

    def _free(self, p: Patient, start: dt.date, end: dt.date) -> bool:
        return all(end < a or start > b for a, b in self.busy.get(p.id_number, []))

    def _patient(self, facility: str, who: str, start: dt.date, end: dt.date) -> Patient:
        prefix = CATCHMENT.get(facility, "610125")
        pool = [p for p in self.people if p.region.startswith(prefix) and _fits(p, who)
                and p.id_number not in self.poor and self._free(p, start, end)]
        if not pool:  # nobody of that kind nearby: anyone from the catchment
            pool = [p for p in self.people if p.region.startswith(prefix) and self._free(p, start, end)]
        patient = self.rng.choice(pool)
        self.busy.setdefault(patient.id_number, []).append((start, end))
        return patient

    def _serial(self, facility: str, kind: str, day: dt.date) -> str:
        prefix = "ZY" if kind == EpisodeKind.INPATIENT else "MZ"
        key = (facility, prefix, day)
        self.serials[key] = self.serials.get(key, 0) + 1
        return f"{prefix}{day:%Y%m%d}{self.serials[key]:03d}"

    def visits(self, facility: str, per_day: float) -> None:
        level = LEVEL[facility]
        for n in range(DAYS):
            day = FIRST_DAY + dt.timedelta(days=n)
            count = int(per_day) + (self.rng.random() < per_day - int(per_day))
            for _ in range(count):
                code, name, who, department, lines = self.rng.choice(VISITS)
                if level == "village":
                    department = "全科"
                    lines = [(c, q) for c, q in lines if c not in ("ZL0006",)]
                patient = self._patient(facility, who, day, day)
                self.plan.append(Planned(facility, self._serial(facility, EpisodeKind.OUTPATIENT, day),
                                         EpisodeKind.OUTPATIENT, patient.id_number, day, None, (code, name),
                                         department, [(c, q, day) for c, q in lines]))

    def admissions(self, facility: str, count: int) -> None:
        level = LEVEL[facility]
        choices = [a for a in ADMISSIONS if LEVEL_ORDER[a[7]] <= LEVEL_ORDER[level]]
        if facility == "H610125002":  # the TCM hospital: rehabilitation, back pain, strokes
            choices = [a for a in ADMISSIONS if a[0] in ("M51.2", "I63.9", "J44.1")]
        for _ in range(count):
            code, name, who, department, (low, high), once, daily, _level = self.rng.choice(choices)
            stay = self.rng.randint(low, high)
            admit = FIRST_DAY + dt.timedelta(days=self.rng.randrange(DAYS - stay))
            discharge = admit + dt.timedelta(days=stay)
            patient = self._patient(facility, who, admit, discharge)
            self.plan.append(self._admission(facility, patient.id_number, admit, discharge, (code, name),
                                             department, once, daily))

    def _admission(self, facility, id_number, admit, discharge, diagnosis, department, once, daily) -> Planned:
        lines = [(c, q, admit) for c, q in once]
        for n in range((discharge - admit).days):
            day = admit + dt.timedelta(days=n)
            lines += [(c, q, day) for c, q in DAILY_CARE]
            lines += [(c, q + (self.rng.random() < 0.3), day) for c, q in daily]
        return Planned(facility, self._serial(facility, EpisodeKind.INPATIENT, admit), EpisodeKind.INPATIENT,
                       id_number, admit, discharge, diagnosis, department, lines)

    def poor_admissions(self, id_number: str) -> None:
        """A registered-poor patient: an acute myocardial infarction with stents and thrombolysis, then heart
        failure two weeks later — enough in-policy self-pay to pass the catastrophic deductible."""
        admit = FIRST_DAY
        for (code, name, department, stay, once, daily), gap in ((ACUTE_MI, 0), (HEART_FAILURE, 2)):
            admit = admit + dt.timedelta(days=gap)
            discharge = admit + dt.timedelta(days=stay)  # 10-24 to 11-09, then 11-11 to 11-19
            self.busy.setdefault(id_number, []).append((admit, discharge))
            self.plan.append(self._admission("H610125001", id_number, admit, discharge, (code, name), department,
                                             once, daily))
            admit = discharge

    def reversal(self) -> None:
        """The county hospital's first ordinary admission is reversed after settling: discharge medicine was
        left out; the desk uploads it and settles again."""
        episode = next(p for p in self.plan if p.facility == "H610125001" and p.kind == EpisodeKind.INPATIENT
                       and p.id_number not in self.poor)
        episode.reverse_and_add = [("YP0103", 2, episode.discharge), ("YP0005", 2, episode.discharge)]


def claims_plan() -> list[Planned]:
    people = _people()
    enrolled = {p.id_number for p in people}
    # registered poor for the whole demo window, so the poor patient's admissions all take the category
    poor = sorted(n for n in PersonCategory.objects.held_on(FIRST_DAY).held_on(LAST_DAY)
                  .filter(category=Category.REGISTERED_POOR).values_list("person__id_number", flat=True)
                  if n in enrolled)
    planner = Planner(people, poor)
    if poor:
        planner.poor_admissions(poor[0])
    for facility, (_desk, per_day, admissions) in FACILITIES.items():
        planner.admissions(facility, admissions)
        planner.visits(facility, per_day)
    planner.reversal()
    return sorted(planner.plan, key=lambda p: (p.discharge or p.admission, p.facility, p.serial))


def charge_inputs(prefix: str, level: str, names: dict[str, str], lines, start: int) -> list[ChargeInput]:
    out = []
    for n, (code, quantity, day) in enumerate(lines, start=start):
        price = Decimal(PRICES[code])
        if code[:2] in ("ZL", "HC"):
            price = (price * SERVICE_FACTOR[level]).quantize(Decimal("0.1"))
        qty = Decimal(quantity)
        out.append(ChargeInput(line_no=n, facility_item_code=f"{prefix}-{code}", item_name=names[code],
                               charged_on=day, quantity=qty, unit_price=price,
                               amount=(qty * price).quantize(Decimal("0.01"))))
    return out


@dataclass
class Loaded:
    episodes: int = 0
    settlements: int = 0
    reversals: int = 0
    failed: list[str] = field(default_factory=list)  # "serial: why" for each settlement the services refused


@transaction.atomic
def load_claims() -> Loaded:
    """Register, charge, discharge and settle the planned episodes; returns what was written this time.
    A settlement the services refuse leaves its episode discharged and waiting at the desk, and is listed in
    `failed` (and logged) rather than stopping the whole demo."""
    loaded = Loaded()
    desks = {u.facility.code: u for u in User.objects.filter(username__in=DESK_USERNAMES)
             .select_related("facility")}
    if len(desks) < len(FACILITIES):
        return loaded
    names = dict(CatalogueItem.objects.filter(valid_to__isnull=True).values_list("code", "name"))
    today = timezone.localdate()
    for planned in claims_plan():
        if (planned.discharge or planned.admission) >= today:
            continue  # a clock set before the demo's four weeks: nothing in the future
        desk = desks[planned.facility]
        existing = (Episode.objects.filter(facility=desk.facility, serial=planned.serial)
                    .values_list("status", flat=True).first())
        if existing == EpisodeStatus.SETTLED:
            continue
        episode, created = admission_register(actor=desk, data=AdmissionInput(
            serial=planned.serial, kind=planned.kind, id_number=planned.id_number,
            admission_date=planned.admission, diagnosis_code=planned.diagnosis[0],
            diagnosis_name=planned.diagnosis[1], department=planned.department))
        loaded.episodes += created
        prefix, level = planned.facility[-4:], LEVEL[planned.facility]
        _upload(desk, episode, charge_inputs(prefix, level, names, planned.lines, 1))
        if planned.discharge:
            episode = episode_discharge(actor=desk, episode=episode, discharge_date=planned.discharge)
        settlement = _settle(desk, episode, loaded)
        if settlement is None or not planned.reverse_and_add:
            continue
        if not Settlement.objects.filter(episode=episode, kind=SettlementKind.REVERSAL).exists():
            settlement_reverse(actor=desk, settlement=settlement, reason=REVERSAL_REASON)
            loaded.reversals += 1
            _upload(desk, episode, charge_inputs(prefix, level, names, planned.reverse_and_add,
                                                  len(planned.lines) + 1))
            _settle(desk, episode, loaded)
    if loaded.failed:
        log.warning("演示结算有 %d 笔未能完成（就诊留在待结算状态），第一笔：%s", len(loaded.failed), loaded.failed[0])
    return loaded


def _settle(desk: User, episode: Episode, loaded: Loaded) -> Settlement | None:
    try:
        settlement, created = settlement_settle(actor=desk, episode=episode)
    except (NrcmsError, IntegrityError) as exc:  # settlement_settle is atomic: its savepoint is rolled back
        loaded.failed.append(f"{episode.facility.code} {episode.serial}（{episode.get_kind_display()}）：{exc}")
        return None
    loaded.settlements += created
    if created:
        _stamp(episode)
    return settlement


def _stamp(episode: Episode) -> None:
    """Date every settlement of the episode (and its ledger entries) on the day of care, in office hours,
    in the order they were made."""
    from nrcms.funding.summary import redate_entries

    day = episode.discharge_date or episode.admission_date
    minute = 8 * 60 + 30 + sum(map(ord, episode.serial)) % 480
    tz = timezone.get_current_timezone()
    for n, settlement in enumerate(Settlement.objects.filter(episode=episode).order_by("id")):
        at = dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz) + dt.timedelta(minutes=minute + 20 * n)
        Settlement.objects.filter(pk=settlement.pk).update(settled_at=at)
        redate_entries(Q(source_type="claims.settlement", source_id=str(settlement.pk)), day)
        facts.add(settlement_ids=[settlement.pk])  # the statistics' row on its new day


def _upload(desk: User, episode: Episode, lines: list[ChargeInput]) -> None:
    result = charges_upload(actor=desk, episode=episode, lines=lines)
    if not result.ok:
        raise RuntimeError(f"演示费用明细有错误（{episode.serial}）：{result.errors[:3]}")


def claims_summary() -> str:
    """One line for `nrcms demo load`: what the demo's desks have on the books."""
    episodes = Episode.objects.filter(facility__code__in=list(FACILITIES), created_by__username__in=DESK_USERNAMES)
    inpatient = episodes.filter(kind=EpisodeKind.INPATIENT).count()
    outpatient = episodes.filter(kind=EpisodeKind.OUTPATIENT).count()
    settled = episodes.filter(status=EpisodeStatus.SETTLED).count()
    reversals = Settlement.objects.filter(episode__in=episodes, kind=SettlementKind.REVERSAL).count()
    return (f"演示就诊：住院 {inpatient} 次、门诊 {outpatient} 次（{FIRST_DAY} 至 {LAST_DAY}），"
            f"已结算 {settled} 次，冲正 {reversals} 笔，待结算 {inpatient + outpatient - settled} 次")

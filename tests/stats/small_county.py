"""A small fixed county built from the services, dated away from the demo's own weeks (October–November 2026):
a new township 试验乡 (agricultural population 16) with two villages and four enrolled persons, in 2026:

  A  甲村  inpatient, 户县人民医院, 1–10 March (9 days), settled 10 March: total 7,000.00, eligible 5,100.00,
           basic 3,450.00; drugs 6,700.00 (urokinase 6,000 乙 + albumin 700 丙), bed 300 甲
  A  甲村  outpatient, 甘亭镇中心卫生院, 25 March: total 100.00 (drugs 90.00), pooled 55.00
  B  甲村  inpatient, 户县人民医院, 2–12 March (10 days), settled 12 March as A's; REVERSED 3 April
  C  乙村  registered poor; inpatient, 户县人民医院, 5–8 March (3 days), settled 8 March: basic 3,450.00 +
           safety net 1,140.00 = 4,590.00
  D  乙村  manual out-of-county claim, 西安市中心医院 (prefecture), 10–20 February (10 days), referred, paid
           17 March: total 9,000.00, eligible 7,000.00, basic 3,600.00; REVERSED 6 April
  contributions 1 March: 380.00 a person (20.00 of it to the family account), 1,520.00 in all

The amounts are those worked by hand in tests/claims (test_settlement.py, test_outpatient.py, test_manual.py)
under the demo scheme; the settlements and ledger entries are dated on their days as nrcms/demo does."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from nrcms.accounts.models import User
from nrcms.claims import manual
from nrcms.claims.desk import episode_discharge
from nrcms.claims.desk_admission import AdmissionInput, admission_register
from nrcms.claims.desk_charges import ChargeInput, charges_upload
from nrcms.claims.manual import (
    ManualClaimInput,
    ReceiptLine,
    manual_claim_notice,
    manual_claim_record,
    manual_claim_reverse,
    manual_claim_settle,
)
from nrcms.claims.models import ManualClaim, Referral, Settlement
from nrcms.claims.settlement import settlement_reverse, settlement_settle
from nrcms.core.idnumber import make_id_number
from nrcms.facilities.models import Facility
from nrcms.funding.services import contribution_record
from nrcms.funding.summary import redate_entries
from nrcms.registry.enrollment import household_enroll
from nrcms.registry.models import Certificate, Household, Person, PersonCategory, Region
from nrcms.stats import facts

TOWNSHIP, VILLAGE_A, VILLAGE_B = "610125199000", "610125199201", "610125199202"
PREFIX = "610125199"
INPATIENT_LINES = [("5001-ZL0001", "10", "30", "300.00"), ("5001-YP0106", "4", "1500", "6000.00"),
                   ("5001-YP0201", "2", "350", "700.00")]
VISIT_LINES = [("5101-ZL0002", "1", "10", "10.00"), ("5101-YP0001", "2", "45", "90.00")]
RECEIPTS = (ReceiptLine("甲类费用合计", Decimal("3000.00"), "A"),
            ReceiptLine("乙类费用合计", Decimal("5000.00"), "B", Decimal("0.2")),
            ReceiptLine("丙类费用合计", Decimal("1000.00"), "C"))


@dataclass
class SmallCounty:
    persons: dict[str, Person]
    clerk: User


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=timezone.get_current_timezone())


def stamp_settlement(settlement: Settlement, day: dt.date) -> None:
    Settlement.objects.filter(pk=settlement.pk).update(settled_at=at(day))
    redate_entries(Q(source_type="claims.settlement", source_id=str(settlement.pk)), day)
    facts.add(settlement_ids=[settlement.pk])  # the statistics' row on its new day, as the demo re-dates


def _regions() -> None:
    county = Region.objects.get(code="610125000000")
    township = Region.objects.create(code=TOWNSHIP, name="试验乡", level="township", parent=county,
                                     agricultural_population=16)
    Region.objects.create(code=VILLAGE_A, name="甲村", level="village", parent=township, agricultural_population=10)
    Region.objects.create(code=VILLAGE_B, name="乙村", level="village", parent=township, agricultural_population=6)


def _household(clerk: User, number: str, village: str, people: list[tuple[str, str, dt.date, str]],
               seq: int) -> list[Person]:
    household = Household.objects.create(number=number, region=Region.objects.get(code=village))
    Certificate.objects.create(household=household, number=f"C{number}")
    out = []
    for n, (name, relation, birth, sex) in enumerate(people):
        person = Person.objects.create(id_number=make_id_number("610125", birth, seq + n, sex), name=name, sex=sex,
                                       birth_date=birth, household=household, relation=relation)
        out.append(person)
    # enrolled by the service, which keeps the enrolled persons per region (registry.EnrolledCount) the statistics read
    household_enroll(actor=clerk, household=household, scheme_year=2026)
    return out


def _inpatient(desk: User, person: Person, serial: str, admit: dt.date, discharge: dt.date, lines=INPATIENT_LINES):
    episode, _ = admission_register(actor=desk, data=AdmissionInput(
        serial=serial, kind="inpatient", id_number=person.id_number, admission_date=admit, diagnosis_code="I63.9"))
    _charges(desk, episode, lines, admit)
    episode = episode_discharge(actor=desk, episode=episode, discharge_date=discharge)
    settlement, _ = settlement_settle(actor=desk, episode=episode)
    stamp_settlement(settlement, discharge)
    return settlement


def _charges(desk, episode, lines, day) -> None:
    result = charges_upload(actor=desk, episode=episode, lines=[
        ChargeInput(line_no=n, facility_item_code=code, item_name="x", charged_on=day, quantity=Decimal(q),
                    unit_price=Decimal(p), amount=Decimal(a)) for n, (code, q, p, a) in enumerate(lines, start=1)])
    assert result.ok, result.errors


def _manual(demo, person: Person, monkeypatch) -> ManualClaim:
    xian = Facility.objects.get(code="H610100001")
    Referral.objects.create(number="ZZ-SY-0001", person=person, to_facility=xian, approved_on=dt.date(2026, 2, 9),
                            valid_until=dt.date(2026, 3, 30), approved_by=demo["reviewer"])
    monkeypatch.setattr(manual, "_today", lambda: dt.date(2026, 3, 1))
    claim, _ = manual_claim_record(actor=demo["reviewer"], data=ManualClaimInput(
        id_number=person.id_number, facility_code="H610100001", admission_date=dt.date(2026, 2, 10),
        discharge_date=dt.date(2026, 2, 20), papers_received_on=dt.date(2026, 3, 1), diagnosis_code="I21.9",
        diagnosis_name="急性心肌梗死", referral_number="ZZ-SY-0001", lines=RECEIPTS))
    monkeypatch.setattr(manual, "_today", lambda: dt.date(2026, 3, 2))
    claim = manual_claim_notice(actor=demo["reviewer"], claim=claim)
    monkeypatch.setattr(manual, "_today", lambda: dt.date(2026, 3, 17))
    claim, _ = manual_claim_settle(actor=demo["director"], claim=claim)
    ManualClaim.objects.filter(pk=claim.pk).update(paid_at=at(dt.date(2026, 3, 17)))
    redate_entries(Q(kind="manual_claim", source_id=str(claim.pk)), dt.date(2026, 3, 17))
    facts.add(claim_ids=[claim.pk])
    return claim


def build(demo, monkeypatch) -> SmallCounty:
    _regions()
    clerk = User.objects.create_user(username="shiyan", password="x-Secret-2026", role="township_clerk",
                                     region=Region.objects.get(code=TOWNSHIP))
    a, b = _household(clerk, "SY0001", VILLAGE_A, [("试甲", "head", dt.date(1960, 1, 1), "M"),
                                                  ("试乙", "spouse", dt.date(1962, 2, 2), "F")], 401)
    (c,) = _household(clerk, "SY0002", VILLAGE_B, [("试丙", "head", dt.date(1958, 3, 3), "M")], 411)
    (d,) = _household(clerk, "SY0003", VILLAGE_B, [("试丁", "head", dt.date(1966, 4, 4), "F")], 421)
    PersonCategory.objects.create(person=c, category="registered_poor", valid_from=dt.date(2025, 1, 1))
    for household in Household.objects.filter(number__in=["SY0001", "SY0002", "SY0003"]):
        contribution_record(actor=clerk, household=household, scheme_year=2026, payer_kind="self",
                            payer_name="本人", paid_on=dt.date(2026, 3, 1))
    county_desk, township_desk = demo["desk_county"], demo["desk_ganting"]
    _inpatient(county_desk, a, "SY-ZY1", dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    b_settlement = _inpatient(county_desk, b, "SY-ZY2", dt.date(2026, 3, 2), dt.date(2026, 3, 12))
    _inpatient(county_desk, c, "SY-ZY3", dt.date(2026, 3, 5), dt.date(2026, 3, 8))
    visit, _ = admission_register(actor=township_desk, data=AdmissionInput(
        serial="SY-MZ1", kind="outpatient", id_number=a.id_number, admission_date=dt.date(2026, 3, 25)))
    _charges(township_desk, visit, VISIT_LINES, dt.date(2026, 3, 25))
    stamp_settlement(settlement_settle(actor=township_desk, episode=visit)[0], dt.date(2026, 3, 25))
    stamp_settlement(settlement_reverse(actor=county_desk, settlement=b_settlement, reason="漏传出院带药"),
                     dt.date(2026, 4, 3))
    claim = _manual(demo, d, monkeypatch)
    manual_claim_reverse(actor=demo["director"], claim=claim, reason="患者退回：重复报销")
    ManualClaim.objects.filter(pk=claim.pk).update(closed_at=at(dt.date(2026, 4, 6)))
    redate_entries(Q(kind="manual_claim_reversal", source_id=str(claim.pk)), dt.date(2026, 4, 6))
    facts.add(claim_ids=[claim.pk])
    return SmallCounty({"A": a, "B": b, "C": c, "D": d}, clerk)

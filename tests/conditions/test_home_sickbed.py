"""家庭病床: opened, visited and closed by the township hospital's desk, then settled as an inpatient stay at
the township level through the desk's settlement service. Scheme demo-layered-2020 (2020 version): township
deductible 200.00, rate 85 %, amounts to the jiao."""

import datetime as dt
from decimal import Decimal

import pytest

from nrcms.accounts.models import AuditEntry
from nrcms.claims.models import Episode, PersonYear
from nrcms.conditions.models import SickbedStatus
from nrcms.conditions.sickbed import sickbed_close, sickbed_open, sickbed_settle, sickbed_visit_record
from nrcms.core.errors import Forbidden, NotFound, ValidationFailed

pytestmark = pytest.mark.django_db
D = dt.date
# (date, services, facility item code, quantity, unit price): 10.00 + 180.00 + 90.00 + 20.00 = 300.00, all 甲类
VISITS = [(D(2026, 5, 2), "查床、测血压", "5101-ZL0002", "1", "10"), (D(2026, 5, 5), "换药、口服药", "5101-YP0001", "4", "45"),
          (D(2026, 5, 9), "口服药", "5101-YP0001", "2", "45"), (D(2026, 5, 14), "查床", "5101-ZL0002", "2", "10")]


def opened(desk, person):
    return sickbed_open(actor=desk, id_number=person.id_number, doctor="李医生", diagnosis_code="I63.9",
                        opened_on=D(2026, 5, 1), planned_days=30)


def visited(desk, bed):
    for day, services, code, qty, price in VISITS:
        sickbed_visit_record(actor=desk, sickbed=bed, date=day, services=services, item_code=code,
                             quantity=Decimal(qty), unit_price=Decimal(price))
    return bed


def test_a_home_sickbed_is_settled_as_a_township_stay(demo, patients, layered_scheme):
    desk = demo["desk_ganting"]
    bed = visited(desk, opened(desk, patients.head))
    assert [v.amount for v in bed.visits.all()] == [Decimal("10.00"), Decimal("180.00"), Decimal("90.00"),
                                                    Decimal("20.00")]
    with pytest.raises(ValidationFailed, match="尚未撤床"):
        sickbed_settle(actor=desk, sickbed=bed)
    sickbed_close(actor=desk, sickbed=bed, closed_on=D(2026, 5, 20))
    s = sickbed_settle(actor=desk, sickbed=bed)
    # 300.00 in policy − deductible 200.00 = 100.00 × 85 % = 85.00; the patient pays 215.00
    assert (s.total_cost, s.eligible_cost, s.deductible, s.basic, s.fund_total, s.self_pay) == (
        Decimal("300.00"), Decimal("300.00"), Decimal("200.00"), Decimal("85.00"), Decimal("85.00"), Decimal("215.00"))
    episode = s.episode
    assert (episode.kind, episode.facility.code, episode.admission_date, episode.discharge_date, episode.department,
            episode.serial) == ("inpatient", "H610125101", D(2026, 5, 1), D(2026, 5, 20), "家庭病床", bed.number)
    assert episode.charges.count() == 4
    bed.refresh_from_db()
    assert bed.status == SickbedStatus.SETTLED and bed.episode_id == episode.pk
    row = PersonYear.objects.get(person=patients.head, scheme_year=2026)
    assert (row.admissions, row.basic_paid) == (1, Decimal("85.00"))
    # settling again answers the same settlement, nothing new
    assert sickbed_settle(actor=desk, sickbed=bed).pk == s.pk
    assert Episode.objects.filter(person=patients.head).count() == 1
    actions = set(AuditEntry.objects.filter(object_id=str(bed.pk), action__startswith="sickbed.")
                  .values_list("action", flat=True))
    assert actions == {"sickbed.open", "sickbed.visit", "sickbed.close", "sickbed.settle"}


def test_the_second_stay_of_the_year_takes_the_halved_deductible(demo, patients, layered_scheme):
    desk = demo["desk_ganting"]
    PersonYear.objects.create(person=patients.head, scheme_year=2026, admissions=1)
    bed = visited(desk, opened(desk, patients.head))
    sickbed_close(actor=desk, sickbed=bed, closed_on=D(2026, 5, 20))
    s = sickbed_settle(actor=desk, sickbed=bed)
    # the same rules as any stay: deductible 200.00 × 0.5 = 100.00; (300.00 − 100.00) × 85 % = 170.00
    assert (s.deductible, s.basic, s.self_pay) == (Decimal("100.00"), Decimal("170.00"), Decimal("130.00"))


def test_visits_are_checked(demo, patients, layered_scheme):
    desk = demo["desk_ganting"]
    bed = opened(desk, patients.head)
    with pytest.raises(ValidationFailed, match="未对照到新农合目录"):
        sickbed_visit_record(actor=desk, sickbed=bed, date=D(2026, 5, 2), services="查床", item_code="NO-SUCH",
                             quantity=Decimal("1"), unit_price=Decimal("10"))
    with pytest.raises(ValidationFailed, match="早于建床日期"):
        sickbed_visit_record(actor=desk, sickbed=bed, date=D(2026, 4, 30), services="查床", item_code="5101-ZL0002",
                             quantity=Decimal("1"), unit_price=Decimal("10"))
    with pytest.raises(NotFound):  # another facility's desk
        sickbed_visit_record(actor=demo["desk_county"], sickbed=bed, date=D(2026, 5, 2), services="查床",
                             item_code="5101-ZL0002", quantity=Decimal("1"), unit_price=Decimal("10"))
    with pytest.raises(ValidationFailed, match="没有查床费用"):
        sickbed_close(actor=desk, sickbed=bed, closed_on=D(2026, 5, 3))
        sickbed_settle(actor=desk, sickbed=bed)


def test_opening_is_checked(demo, patients, layered_scheme):
    desk = demo["desk_ganting"]
    opened(desk, patients.head)
    with pytest.raises(ValidationFailed, match="已有在床的家庭病床"):
        opened(desk, patients.head)
    with pytest.raises(ValidationFailed, match="计划天数"):
        sickbed_open(actor=desk, id_number=patients.spouse.id_number, doctor="李医生", diagnosis_code="I63.9",
                     opened_on=D(2026, 5, 1), planned_days=0)
    with pytest.raises(ValidationFailed, match="不在本县 ICD-10 诊断目录"):
        sickbed_open(actor=desk, id_number=patients.spouse.id_number, doctor="李医生", diagnosis_code="ZZZ",
                     opened_on=D(2026, 5, 1), planned_days=10)
    with pytest.raises(Forbidden):
        opened(demo["reviewer"], patients.spouse)

"""The demo build's condition registers (nrcms/demo/build/conditions.py): each person with outpatient visits of
the year for a disease on the scheme's chronic list is certified for it on the day of the first such visit, at
the county hospital, through the service (audited); a few serious-illness cases; a second run adds nothing."""

import datetime as dt

import pytest

from nrcms.accounts.models import AuditEntry
from nrcms.claims.desk_admission import AdmissionInput, admission_register
from nrcms.claims.models import Episode
from nrcms.conditions.models import ChronicCertificate, SeriousIllness, SeriousIllnessCase, SeriousStatus
from nrcms.demo.build import conditions
from nrcms.registry.models import Enrollment

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 1)
CHRONIC = {"I10", "E11", "E14", "I25", "J44", "F20", "N18"}


def _visit(desk, person, serial, day, diagnosis):
    admission_register(actor=desk, data=AdmissionInput(serial=serial, kind="outpatient", id_number=person.id_number,
                                                       admission_date=day, diagnosis_code=diagnosis))


def test_the_years_chronic_visitors_are_certified_from_their_first_visit(demo, patients):
    desk = demo["desk_ganting"]
    _visit(desk, patients.head, "MZ-D1", dt.date(2026, 5, 10), "I10.x")
    _visit(desk, patients.head, "MZ-D2", dt.date(2026, 3, 2), "I10.x")  # registered later, seen earlier
    _visit(desk, patients.head, "MZ-D3", dt.date(2026, 4, 1), "E11.9")
    _visit(desk, patients.spouse, "MZ-D4", dt.date(2026, 4, 1), "J18.9")  # not a chronic disease
    enrolled = Enrollment.objects.filter(scheme_year=2026, status="enrolled").count()

    counts = conditions.record(2026, 7, {"reviewer": demo["reviewer"]}, TODAY)

    certs = {(c.person_id, c.disease_code): (c.certified_on, c.valid_until, c.facility.code)
             for c in ChronicCertificate.objects.select_related("facility")}
    assert certs[patients.head.pk, "I10"] == (dt.date(2026, 3, 2), dt.date(2027, 3, 2), "H610125001")
    assert certs[patients.head.pk, "E11"] == (dt.date(2026, 4, 1), dt.date(2027, 4, 1), "H610125001")
    assert not any(person == patients.spouse.pk for person, _ in certs)
    # the demo's own visits too: the first day of each person's visits for each listed disease (demo-layered-2020)
    first = {}
    for person, diagnosis, day in Episode.objects.filter(kind="outpatient", scheme_year=2026).exclude(
            status="cancelled").values_list("person_id", "diagnosis_code", "admission_date"):
        code = diagnosis[:3].upper()
        if code in CHRONIC and day <= TODAY:
            first[person, code] = min(day, first.get((person, code), day))
    assert {key: value[0] for key, value in certs.items()} == first
    assert counts["chronic"] == len(certs) >= 2
    audited = AuditEntry.objects.filter(action="chronic.certify")
    assert audited.count() == len(certs) and {a.actor.username for a in audited} == {"reviewer"}
    # one serious-illness case per 4,000 enrolled (at least one), each fitting its illness, half completed
    cases = list(SeriousIllnessCase.objects.select_related("person", "facility"))
    assert counts["serious"] == len(cases) == max(1, enrolled // 4000)
    for k, case in enumerate(sorted(cases, key=lambda c: c.pk)):
        illness, youngest, sex = conditions.SERIOUS[k % len(conditions.SERIOUS)]
        assert case.disease == illness and case.disease in SeriousIllness.values
        assert case.facility.code == "H610125001" and dt.date(2026, 1, 1) <= case.started_on <= TODAY
        assert conditions._age(case.person.birth_date, case.started_on) >= youngest
        assert sex is None or case.person.sex == sex
        completed = k % 2 == 0 and case.started_on + dt.timedelta(days=60) <= TODAY
        assert case.status == (SeriousStatus.COMPLETED if completed else SeriousStatus.TREATING)
    assert counts["serious_completed"] == sum(c.status == SeriousStatus.COMPLETED for c in cases)

    again = conditions.record(2026, 7, {"reviewer": demo["reviewer"]}, TODAY)  # refused as duplicates: skipped
    assert again["chronic"] == 0 and ChronicCertificate.objects.count() == len(certs)

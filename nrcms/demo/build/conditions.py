"""慢病认定与大病救治 for the built county, so that the registers' pages and exports show a county's worth of
records: every person whose outpatient visits of the year carry a disease on the scheme's chronic list is
certified for it at the county hospital on the day of the first such visit (valid a year, as the page offers);
a few serious-illness cases (one per 4,000 persons, at least one) of the national list, at the county
hospital, half of those begun two months before today completed.

Through the services the reviewer uses on the page (nrcms.conditions.services: chronic_certify,
serious_case_record, serious_case_close), each checked and audited as an entry made there. A row the service
refuses (a scheme without a chronic list, a hospital not designated on the day) is skipped. None of this
changes a settlement: no shipped scheme pays chronic disease only to the certified. Deterministic by seed."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from nrcms.claims.models import Episode, EpisodeKind, EpisodeStatus
from nrcms.conditions.batch import a_year_on
from nrcms.conditions.models import SeriousIllness, SeriousStatus
from nrcms.conditions.selectors import chronic_diseases
from nrcms.conditions.services import chronic_certify, serious_case_close, serious_case_record
from nrcms.core.errors import ValidationFailed
from nrcms.facilities.models import Facility, FacilityLevel
from nrcms.registry.models import Enrollment, EnrollmentStatus, Region, RegionLevel

SERIOUS_PER_PERSONS = 4000
# (illness, youngest age, sex or None): adults, the two women's cancers for women
SERIOUS = [(SeriousIllness.LUNG_CANCER, 45, None), (SeriousIllness.ESRD, 30, None),
           (SeriousIllness.SEVERE_MENTAL, 18, None), (SeriousIllness.BREAST_CANCER, 35, "F"),
           (SeriousIllness.CERVICAL_CANCER, 35, "F")]


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


@transaction.atomic
def record(year: int, seed: int, users: dict, today: dt.date) -> dict:
    reviewer = users["reviewer"]
    counts = {"chronic": 0, "serious": 0, "serious_completed": 0}
    hospital = (Facility.objects.filter(level=FacilityLevel.COUNTY, in_county=True).order_by("code")
                .values_list("code", flat=True).first())
    county = Region.objects.filter(level=RegionLevel.COUNTY).values_list("code", flat=True).first()
    if hospital is None or county is None:
        return counts
    listed = [code for code, _ in chronic_diseases(dt.date(year, 1, 1), county)]
    first: dict[tuple[str, str], dt.date] = {}
    visits = (Episode.objects.filter(kind=EpisodeKind.OUTPATIENT, scheme_year=year, admission_date__lte=today)
              .exclude(status=EpisodeStatus.CANCELLED).exclude(diagnosis_code="").order_by("admission_date", "id")
              .values_list("person__id_number", "diagnosis_code", "admission_date"))
    for id_number, diagnosis, day in visits.iterator(chunk_size=5000) if listed else ():
        code = next((c for c in listed if diagnosis.upper().startswith(c)), None)
        if code is not None:
            first.setdefault((id_number, code), day)
    for (id_number, code), day in sorted(first.items(), key=lambda item: (item[1], item[0])):
        try:
            chronic_certify(actor=reviewer, id_number=id_number, disease_code=code, facility_code=hospital,
                            certified_on=day, valid_until=a_year_on(day), note="演示数据：门诊慢性病认定")
        except ValidationFailed:
            continue
        counts["chronic"] += 1

    rng = random.Random(seed * 53 + 7)
    enrolled = list(Enrollment.objects.filter(scheme_year=year, status=EnrollmentStatus.ENROLLED)
                    .order_by("person__id_number")
                    .values_list("person__id_number", "person__sex", "person__birth_date"))
    wanted = max(1, len(enrolled) // SERIOUS_PER_PERSONS)
    last_start = min(today, dt.date(year, 12, 31)) - dt.timedelta(days=30)
    first_start = dt.date(year, 1, 1)
    for k in range(wanted if enrolled and last_start > first_start else 0):
        illness, youngest, sex = SERIOUS[k % len(SERIOUS)]
        started = first_start + dt.timedelta(days=rng.randrange((last_start - first_start).days))
        fits = [i for i, s, b in enrolled if _age(b, started) >= youngest and (sex is None or s == sex)]
        if not fits:
            continue
        try:
            case = serious_case_record(actor=reviewer, id_number=rng.choice(fits), disease=illness,
                                       facility_code=hospital, started_on=started,
                                       pathway=f"按国家卫生健康委{illness.label}临床路径救治（演示数据）")
        except ValidationFailed:
            continue
        counts["serious"] += 1
        closed = started + dt.timedelta(days=60)
        if k % 2 == 0 and closed <= today:
            serious_case_close(actor=reviewer, case=case, status=SeriousStatus.COMPLETED, closed_on=closed,
                               note="按临床路径完成救治")
            counts["serious_completed"] += 1
    return counts

"""Demo referrals (转诊备案), recorded through referral_record in the name of the office that would file them:
甘亭镇's clerk refers a resident from the township hospital to 西安市中心医院, 余下镇's clerk one to 陕西省人民医院,
and the county reviewer one to an out-of-county hospital the county has no record of (by name).

The patients are picked by rule (the first enrolled adults of the township, by household number), so the plan
depends only on the people loaded before it. Idempotent: a referral already on file for the same person,
date and destination is left alone, so a second `nrcms demo load` writes nothing."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from nrcms.accounts.models import User
from nrcms.claims.models import Referral
from nrcms.claims.referral import referral_record
from nrcms.facilities.models import Facility
from nrcms.registry.models import EnrollmentStatus, Person, PersonStatus

YEAR = 2026

# (clerk, township prefix, which adult of the township, from facility, to facility, to name, diagnosis,
#  approved on, reason)
PLAN = [
    ("ganting", "610125100", 0, "H610125101", "H610100001", "", "I21.9", dt.date(2026, 11, 2),
     "急性心肌梗死，需冠脉介入治疗，本院不具备条件"),
    ("yuxia", "610125101", 0, "H610125102", "H610000001", "", "C34.9", dt.date(2026, 11, 12),
     "肺部占位待查，需上级医院明确诊断和手术"),
    ("reviewer", "610125100", 1, "H610125001", None, "空军军医大学西京医院", "I61.9", dt.date(2026, 11, 18),
     "脑出血，县医院会诊建议转神经外科"),
]


def _adults(prefix: str) -> list[Person]:
    return list(Person.objects.filter(
        household__region__code__startswith=prefix, status=PersonStatus.ACTIVE,
        birth_date__lte=dt.date(YEAR - 30, 1, 1),
        enrollments__scheme_year=YEAR, enrollments__status=EnrollmentStatus.ENROLLED,
    ).select_related("household").order_by("household__number", "id")[:5])


@transaction.atomic
def load_referrals() -> list[Referral]:
    """Returns the referrals created by this call."""
    created = []
    today = timezone.localdate()
    for username, prefix, index, from_code, to_code, to_name, diagnosis, approved_on, reason in PLAN:
        people = _adults(prefix)
        if approved_on > today or len(people) <= index:
            continue
        person = people[index]
        to_facility = Facility.objects.get(code=to_code) if to_code else None
        same = Q(to_facility=to_facility) if to_facility else Q(to_name=to_name)
        if Referral.objects.filter(same, person=person, approved_on=approved_on).exists():
            continue
        created.append(referral_record(
            actor=User.objects.get(username=username), person=person,
            from_facility=Facility.objects.get(code=from_code), to_facility=to_facility, to_name=to_name,
            diagnosis_code=diagnosis, approved_on=approved_on, reason=reason))
    return created

import datetime as dt
from dataclasses import dataclass

import pytest

from nrcms.core.idnumber import make_id_number
from nrcms.registry.models import Enrollment, Household, Person, Region


@dataclass
class Patients:
    household: Household
    people: list[Person]


@pytest.fixture
def patients(demo):
    """Four enrolled members of one household in 甘亭镇东韩村一组 (2026), none in an assisted category."""
    region = Region.objects.get(code="610125100201001")
    household = Household.objects.create(number="P6101251002010001", region=region, address="东韩村一组 12 号")
    people = []
    for n, (name, relation, birth, sex) in enumerate([
        ("李建民", "head", dt.date(1960, 2, 3), "M"), ("张秀兰", "spouse", dt.date(1963, 6, 9), "F"),
        ("李刚", "child", dt.date(1988, 1, 21), "M"), ("李敏", "child", dt.date(1991, 8, 5), "F"),
    ], start=1):
        person = Person.objects.create(id_number=make_id_number("610125", birth, 200 + n, sex), name=name, sex=sex,
                                       birth_date=birth, household=household, relation=relation)
        Enrollment.objects.create(person=person, household=household, scheme_year=2026)
        people.append(person)
    return Patients(household, people)

import datetime as dt
from dataclasses import dataclass

import pytest

from nrcms.core.idnumber import make_id_number
from nrcms.registry.models import Certificate, Enrollment, Household, Person, Region


@dataclass
class Family:
    household: Household
    head: Person
    spouse: Person
    child: Person
    certificate: Certificate


@pytest.fixture
def family(demo):
    """A household of three in 甘亭镇东韩村一组, enrolled for 2026, with a valid certificate."""
    region = Region.objects.get(code="610125100201001")
    household = Household.objects.create(number="T6101251002010001", region=region, address="东韩村一组 8 号")
    people = []
    for n, (name, relation, birth, sex) in enumerate([
        ("王德福", "head", dt.date(1962, 3, 14), "M"),
        ("刘桂芳", "spouse", dt.date(1965, 7, 2), "F"),
        ("王小强", "child", dt.date(1990, 11, 30), "M"),
    ], start=1):
        people.append(Person.objects.create(id_number=make_id_number("610125", birth, 100 + n, sex), name=name,
                                            sex=sex, birth_date=birth, household=household, relation=relation))
    for p in people:
        Enrollment.objects.create(person=p, household=household, scheme_year=2026)
    certificate = Certificate.objects.create(household=household, number="61012599990001")
    return Family(household, *people, certificate)


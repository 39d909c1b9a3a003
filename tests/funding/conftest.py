import datetime as dt

import pytest

from nrcms.core.idnumber import make_id_number
from nrcms.funding.services import contribution_standard_set
from nrcms.registry.models import Enrollment, Household, Person, PersonCategory, Region


@pytest.fixture
def standard(db):
    return contribution_standard_set(actor=None, scheme_year=2026, effective_from=dt.date(2025, 9, 1),
                                     personal_amount="380", central_subsidy="400", provincial_subsidy="140",
                                     county_subsidy="100", family_account_amount="20", authority="测试标准")


@pytest.fixture
def household(demo, standard):
    """Three enrolled members in 甘亭镇东韩村一组; the grandmother holds 五保 from 2020."""
    region = Region.objects.get(code="610125100201001")
    h = Household.objects.create(number="F6101251002010001", region=region, address="一组 9 号")
    people = []
    for n, (name, rel, birth, sex) in enumerate([("陈永刚", "head", dt.date(1970, 1, 5), "M"),
                                                 ("陈小燕", "child", dt.date(1998, 6, 1), "F"),
                                                 ("陈老太", "parent", dt.date(1940, 2, 2), "F")], start=1):
        p = Person.objects.create(id_number=make_id_number("610125", birth, 200 + n, sex), name=name, sex=sex,
                                  birth_date=birth, household=h, relation=rel)
        Enrollment.objects.create(person=p, household=h, scheme_year=2026)
        people.append(p)
    PersonCategory.objects.create(person=people[2], category="wubao", valid_from=dt.date(2020, 1, 1))
    h.people = people
    return h

"""Small helpers the registry tests share: valid ID numbers and a registered household."""

import datetime as dt
import itertools

from nrcms.core.idnumber import make_id_number
from nrcms.registry.models import Region
from nrcms.registry.people import PersonInput, household_register

_seq = itertools.count(1)
GROUP = "610125100201001"  # 甘亭镇 东韩村 一组
YUXIA_GROUP = "610125101201001"  # 余下镇 余下村 一组


def new_id(birth=dt.date(1970, 5, 6), sex="M") -> str:
    return make_id_number("610125", birth, next(_seq) % 500, sex)


def person(name, relation, birth=dt.date(1970, 5, 6), sex="M", **kw) -> PersonInput:
    return PersonInput(name=name, id_number=new_id(birth, sex), relation=relation, **kw)


def family(actor, region_code=GROUP, **kw):
    head = person("张建国", "head", dt.date(1968, 2, 3), "M")
    members = [person("李秀兰", "spouse", dt.date(1970, 8, 9), "F"), person("张小明", "child", dt.date(1995, 1, 2), "M")]
    return household_register(actor=actor, region=Region.objects.get(code=region_code), head=head, members=members,
                              address="东韩村一组 12 号", **kw)

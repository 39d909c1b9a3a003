"""A refusal across jurisdictions reveals nothing: a clerk of 余下镇 entering the ID number of someone
registered in 甘亭镇 learns that the person is registered elsewhere and whom to ask, not the household
number, the village or the name held there."""

import csv
import datetime as dt
import io
import json

import pytest
from people_factory import YUXIA_GROUP, family
from python_calamine import CalamineWorkbook

from nrcms.core.errors import ValidationFailed
from nrcms.registry.models import EventKind, Region
from nrcms.registry.people import PersonInput, household_register, person_add
from nrcms.registry.roster_import import roster_import_create, roster_import_run
from nrcms.registry.roster_template import COLUMNS

pytestmark = pytest.mark.django_db


def _secrets(h) -> list[str]:
    """What a 余下镇 clerk must not learn about a 甘亭镇 household."""
    h.refresh_from_db()
    return [h.number, h.region.name, h.region.parent.name, h.region.full_name, *[m.name for m in h.members.all()]]


def _assert_reveals_nothing(message: str, h) -> None:
    assert "其他乡镇登记" in message and "县合管办" in message, message
    for secret in _secrets(h):
        assert secret not in message, (secret, message)


def test_registering_a_person_of_another_township_names_neither_household_nor_village(demo):
    ganting_household = family(demo["ganting"])
    existing = ganting_household.members.first()
    with pytest.raises(ValidationFailed) as exc:
        household_register(actor=demo["yuxia"], region=Region.objects.get(code=YUXIA_GROUP),
                           head=PersonInput(name="王五", id_number=existing.id_number, relation="head"))
    assert exc.value.field == "id_number" and existing.id_number in exc.value.message
    _assert_reveals_nothing(exc.value.message, ganting_household)


def test_same_township_refusal_still_names_the_household_the_clerk_can_see(demo):
    h = family(demo["ganting"])
    with pytest.raises(ValidationFailed) as exc:
        household_register(actor=demo["ganting"], region=h.region,
                           head=PersonInput(name="王五", id_number=h.members.first().id_number, relation="head"))
    assert h.number in exc.value.message


def test_adding_a_member_registered_in_another_township_reveals_nothing(demo):
    ganting_household = family(demo["ganting"])
    yuxia_household = family(demo["yuxia"], region_code=YUXIA_GROUP)
    existing = ganting_household.members.order_by("id").last()
    with pytest.raises(ValidationFailed) as exc:
        person_add(actor=demo["yuxia"], household=yuxia_household, kind=EventKind.MARRIAGE_IN, date=dt.date(2026, 1, 5),
                   person=PersonInput(name="某某", id_number=existing.id_number, relation="spouse"))
    _assert_reveals_nothing(exc.value.message, ganting_household)


def test_api_refusal_reveals_nothing(client, login, demo):
    ganting_household = family(demo["ganting"])
    login("yuxia")
    body = {"region_code": YUXIA_GROUP, "head": {"name": "王五", "id_number": ganting_household.members.first().id_number,
                                                 "relation": "head"}}
    response = client.post("/api/registry/households", json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    error = response.json()
    assert error["field"] == "id_number"
    _assert_reveals_nothing(error["message"], ganting_household)


def test_roster_import_row_of_another_townships_person_reveals_nothing(demo):
    ganting_household = family(demo["ganting"])
    existing = ganting_household.members.order_by("id").first()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in COLUMNS])
    writer.writerow(["1", YUXIA_GROUP, "一组 1 号", "王五", existing.id_number, "户主", "", "", ""])
    job = roster_import_create(actor=demo["yuxia"], township=Region.objects.get(code="610125101000"),
                               file_name="roster.csv", content=out.getvalue().encode(), scheme_year=2026)
    job = roster_import_run(job)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(job.error_report.read())).get_sheet_by_index(0).to_python()
    message = rows[1][-1]
    _assert_reveals_nothing(message, ganting_household)
    assert job.households_created == 0

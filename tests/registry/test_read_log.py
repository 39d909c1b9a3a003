"""Reads of personal data are on the record: opening a household or a person (page or API), the desk's member
lookup, and every search by ID number (masked, with the count found). One audit row per read."""

import pytest
from people_factory import family

from nrcms.accounts.models import AuditEntry
from nrcms.core.masking import mask_id

pytestmark = pytest.mark.django_db


def _rows_written_by(call):
    last = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    response = call()
    return response, list(AuditEntry.objects.filter(seq__gt=last).order_by("seq"))


def test_household_page_and_person_page_each_write_one_view_row(client, login, demo):
    h = family(demo["ganting"])
    person = h.members.order_by("id").first()
    login("ganting")
    response, rows = _rows_written_by(lambda: client.get(f"/registry/households/{h.pk}/"))
    assert response.status_code == 200
    assert [(r.action, r.object_type, r.object_id, r.actor_username) for r in rows] == [
        ("household.view", "registry.household", str(h.pk), "ganting")]
    assert rows[0].after == {"via": "户详情页"} and rows[0].region_code == h.region.code
    response, rows = _rows_written_by(lambda: client.get(f"/registry/persons/{person.pk}/"))
    assert response.status_code == 200
    assert [(r.action, r.object_id) for r in rows] == [("person.view", str(person.pk))]
    assert person.id_number not in rows[0].object_repr  # the repr masks the number


def test_a_refused_read_writes_no_view_row(client, login, demo):
    h = family(demo["ganting"])
    login("yuxia")  # another township
    response, rows = _rows_written_by(lambda: client.get(f"/registry/households/{h.pk}/"))
    assert response.status_code == 404 and rows == []


def test_search_by_id_number_is_logged_masked_with_the_count_and_a_name_search_is_not(client, login, demo):
    h = family(demo["ganting"])
    person = h.members.order_by("id").first()
    login("ganting")
    response, rows = _rows_written_by(lambda: client.get("/registry/persons/", {"q": person.id_number}))
    assert response.status_code == 200
    assert [r.action for r in rows] == ["person.search_id"]
    assert rows[0].after == {"id_number": mask_id(person.id_number), "found": 1, "via": "登记查询页"}
    assert person.id_number not in str(rows[0].after) and person.id_number not in rows[0].object_repr
    _, rows = _rows_written_by(lambda: client.get("/registry/households/", {"q": person.id_number[:14]}))
    assert [r.action for r in rows] == ["person.search_id"] and rows[0].after["found"] >= 1
    _, rows = _rows_written_by(lambda: client.get("/registry/persons/", {"q": person.name}))
    assert rows == []


def test_api_person_and_household_detail_and_id_search_are_logged(client, login, demo):
    h = family(demo["ganting"])
    person = h.members.order_by("id").first()
    login("ganting")
    _, rows = _rows_written_by(lambda: client.get(f"/api/registry/persons/{person.pk}"))
    assert [(r.action, r.after["via"]) for r in rows] == [("person.view", "接口")]
    _, rows = _rows_written_by(lambda: client.get(f"/api/registry/households/{h.pk}"))
    assert [(r.action, r.object_repr) for r in rows] == [("household.view", h.number)]
    _, rows = _rows_written_by(lambda: client.get("/api/registry/persons", {"search": person.id_number}))
    assert [(r.action, r.after["found"]) for r in rows] == [("person.search_id", 1)]
    _, rows = _rows_written_by(lambda: client.get("/api/registry/households", {"search": "610125199901011234"}))
    assert [(r.action, r.after["found"]) for r in rows] == [("person.search_id", 0)]


def test_desk_lookup_by_id_number_writes_one_row_found_or_not(client, login, demo):
    h = family(demo["ganting"])
    person = h.members.order_by("id").first()
    login("desk_county")
    response, rows = _rows_written_by(lambda: client.get("/desk/", {"id_number": person.id_number}))
    assert response.status_code == 200
    assert [(r.action, r.object_id, r.after["found"], r.facility_code) for r in rows] == [
        ("person.search_id", str(person.pk), 1, demo["desk_county"].facility.code)]
    _, rows = _rows_written_by(lambda: client.get("/api/desk/members", {"id_number": "610125199901011234"}))
    assert [(r.action, r.object_id, r.after["found"], r.after["via"]) for r in rows] == [
        ("person.search_id", "", 0, "医院结算接口")]

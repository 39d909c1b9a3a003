import datetime as dt

import pytest
from people_factory import GROUP, YUXIA_GROUP, family, new_id, person

from nrcms.accounts.models import AuditEntry
from nrcms.core.errors import Forbidden, NotFound, ValidationFailed
from nrcms.registry.models import EventKind, Household, Person, PersonEvent, PersonStatus, Region, Relation
from nrcms.registry.people import (
    PersonInput,
    household_register,
    household_set_head,
    person_add,
    person_category_end,
    person_category_grant,
    person_move,
    person_record_death,
    person_record_marriage_out,
    person_record_move_out,
    person_update_contact,
)

pytestmark = pytest.mark.django_db
D = dt.date(2026, 3, 1)


def test_register_household_derives_sex_and_birth_and_records_events_and_audit(demo):
    clerk = demo["ganting"]
    h = family(clerk)
    members = list(h.members.order_by("id"))
    assert [m.relation for m in members] == ["head", "spouse", "child"]
    assert members[1].sex == "F" and members[1].birth_date == dt.date(1970, 8, 9)
    assert members[0].name_initials == "zjg"
    assert h.number.startswith("610125100201") and len(h.number) == 17
    assert PersonEvent.objects.filter(person__household=h, kind=EventKind.REGISTER).count() == 3
    entry = AuditEntry.objects.get(action="household.register", object_id=str(h.pk))
    assert entry.region_code == GROUP and entry.actor_username == "ganting"
    assert len(entry.after["members"]) == 3


def test_typed_sex_must_agree_with_id_number(demo):
    head = PersonInput(name="王强", id_number=new_id(sex="M"), relation="head", sex="F")
    with pytest.raises(ValidationFailed) as exc:
        household_register(actor=demo["ganting"], region=Region.objects.get(code=GROUP), head=head)
    assert exc.value.field == "sex" and "不符" in exc.value.message


def test_bad_checksum_is_refused_naming_the_field(demo):
    good = new_id()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationFailed) as exc:
        household_register(actor=demo["ganting"], region=Region.objects.get(code=GROUP),
                           head=PersonInput(name="王强", id_number=bad, relation="head"))
    assert exc.value.field == "id_number" and "校验位" in exc.value.message
    assert not Person.objects.filter(id_number=bad).exists()


def test_person_already_in_another_household_is_refused(demo):
    h = family(demo["ganting"])
    existing = h.members.first()
    before = Household.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        household_register(actor=demo["ganting"], region=Region.objects.get(code=GROUP),
                           head=PersonInput(name=existing.name, id_number=existing.id_number, relation="head"))
    assert exc.value.code == "duplicate" and h.number in exc.value.message
    assert Household.objects.count() == before


def test_second_head_is_refused(demo):
    with pytest.raises(ValidationFailed) as exc:
        household_register(actor=demo["ganting"], region=Region.objects.get(code=GROUP),
                           head=person("甲", "head"), members=[person("乙", "head")])
    assert exc.value.field == "relation"


def test_clerk_cannot_register_outside_township_and_village_clerk_cannot_write(demo):
    before = Household.objects.count()
    with pytest.raises(NotFound):
        family(demo["ganting"], region_code=YUXIA_GROUP)
    with pytest.raises(Forbidden):
        family(demo["donghan"])
    with pytest.raises(Forbidden):
        family(demo["desk_county"])
    assert Household.objects.count() == before


def test_household_address_must_be_village_or_group(demo):
    with pytest.raises(ValidationFailed) as exc:
        household_register(actor=demo["ganting"], region=Region.objects.get(code="610125100000"),
                           head=person("甲", "head"))
    assert exc.value.field == "region"


def test_birth_adds_member_with_event(demo):
    h = family(demo["ganting"])
    baby = person_add(actor=demo["ganting"], household=h, kind="birth", date=dt.date(2026, 2, 1),
                      person=person("张小宝", "grandchild", dt.date(2026, 2, 1), "F"))
    assert baby.household == h and baby.sex == "F"
    assert baby.events.get().kind == EventKind.BIRTH
    assert AuditEntry.objects.filter(action="person.birth", object_id=str(baby.pk)).exists()


def test_birth_date_must_match_the_id(demo):
    h = family(demo["ganting"])
    with pytest.raises(ValidationFailed) as exc:
        person_add(actor=demo["ganting"], household=h, kind="birth", date=dt.date(2026, 2, 2),
                   person=person("张小宝", "grandchild", dt.date(2026, 2, 1), "F"))
    assert exc.value.field == "date"


def test_move_between_households_with_head_change(demo):
    clerk = demo["ganting"]
    a, b = family(clerk), family(clerk)
    head_a = a.members.get(relation="head")
    spouse_a = a.members.get(relation="spouse")
    with pytest.raises(ValidationFailed) as exc:
        person_move(actor=clerk, person=head_a, to_household=b, relation="other", date=D)
    assert exc.value.field == "new_head" and "新户主" in exc.value.message
    person_move(actor=clerk, person=head_a, to_household=b, relation="other", date=D, new_head=spouse_a,
                reason="投亲")
    spouse_a.refresh_from_db()
    head_a.refresh_from_db()
    assert spouse_a.relation == Relation.HEAD and head_a.household == b and head_a.relation == "other"
    event = head_a.events.get(kind=EventKind.MOVE)
    assert event.from_household == a and event.to_household == b


def test_split_into_a_new_household(demo):
    clerk = demo["ganting"]
    a = family(clerk)
    son = a.members.get(relation="child")
    person_move(actor=clerk, person=son, to_household=None, relation="head", date=D,
                new_region=Region.objects.get(code=GROUP), new_address="东韩村一组 30 号", reason="分户")
    son.refresh_from_db()
    assert son.household != a and son.relation == Relation.HEAD
    assert son.household.number.startswith("610125100201")


def test_death_of_last_member_deactivates_household_but_deletes_nothing(demo):
    clerk = demo["ganting"]
    h = household_register(actor=clerk, region=Region.objects.get(code=GROUP), head=person("孤老", "head"))
    p = h.members.get()
    person_record_death(actor=clerk, person=p, date=D, authority="死亡证明 2026-12")
    p.refresh_from_db()
    h.refresh_from_db()
    assert p.status == PersonStatus.DECEASED and p.status_date == D and not h.is_active
    assert Person.objects.filter(pk=p.pk).exists()
    with pytest.raises(ValidationFailed):
        person_record_death(actor=clerk, person=p, date=D)


def test_marriage_out_and_return_reuses_the_person(demo):
    clerk = demo["ganting"]
    h = family(clerk)
    son = h.members.get(relation="child")
    person_record_marriage_out(actor=clerk, person=son, date=D, reason="婚出外县")
    son.refresh_from_db()
    assert son.status == PersonStatus.MOVED_OUT
    back = person_add(actor=clerk, household=h, kind="marriage_in", date=dt.date(2026, 6, 1),
                      person=PersonInput(name=son.name, id_number=son.id_number, relation="child"))
    assert back.pk == son.pk and back.status == PersonStatus.ACTIVE
    assert list(back.events.order_by("id").values_list("kind", flat=True)) == ["register", "marriage_out", "marriage_in"]


def test_move_out_of_county(demo):
    clerk = demo["ganting"]
    h = family(clerk)
    son = h.members.get(relation="child")
    person_record_move_out(actor=clerk, person=son, date=D, reason="迁往西安")
    son.refresh_from_db()
    assert son.status == PersonStatus.MOVED_OUT and son.events.order_by("id").last().kind == EventKind.MOVE_OUT


def test_set_head_requires_reason_and_old_head_relation(demo):
    clerk = demo["ganting"]
    h = family(clerk)
    son = h.members.get(relation="child")
    with pytest.raises(ValidationFailed):
        household_set_head(actor=clerk, household=h, person=son, old_head_relation="parent", reason=" ")
    household_set_head(actor=clerk, household=h, person=son, old_head_relation="parent", reason="父亲年迈")
    assert h.members.get(relation="head") == son
    assert h.members.filter(relation="parent").count() == 1


def test_categories_have_periods_and_no_overlap(demo):
    clerk = demo["ganting"]
    p = family(clerk).members.first()
    row = person_category_grant(actor=clerk, person=p, category="dibao", valid_from=dt.date(2025, 1, 1),
                                authority="民政低保证 2025-001")
    with pytest.raises(ValidationFailed) as exc:
        person_category_grant(actor=clerk, person=p, category="dibao", valid_from=dt.date(2026, 1, 1),
                              authority="x")
    assert exc.value.code == "overlap"
    with pytest.raises(ValidationFailed):
        person_category_grant(actor=clerk, person=p, category="wubao", valid_from=dt.date(2026, 1, 1), authority="")
    person_category_end(actor=clerk, category=row, valid_to=dt.date(2025, 12, 31), reason="脱贫")
    person_category_grant(actor=clerk, person=p, category="dibao", valid_from=dt.date(2026, 6, 1), authority="再认定")
    assert p.categories.count() == 2


def test_update_contact_validates_phone(demo):
    clerk = demo["ganting"]
    p = family(clerk).members.first()
    with pytest.raises(ValidationFailed) as exc:
        person_update_contact(actor=clerk, person=p, phone="12345")
    assert exc.value.field == "phone"
    person_update_contact(actor=clerk, person=p, phone="13912345678")
    entry = AuditEntry.objects.get(action="person.update_contact")
    assert entry.before == {"phone": ""} and entry.after == {"phone": "13912345678"}

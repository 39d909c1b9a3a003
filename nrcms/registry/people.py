"""Writes about households and the people in them. Each service is one transaction that records the life
event (PersonEvent) and an audit row with before/after. Nobody is ever deleted: a death, a marriage out or a
move out changes a person's status and leaves the history in place."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.db.models import F

from nrcms.accounts.audit import audit_record, snapshot
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import region_q
from nrcms.accounts.services import require
from nrcms.core.errors import NotFound, ValidationFailed
from nrcms.core.idnumber import validate_id_number

from .models import (
    POVERTY_CATEGORIES,
    Category,
    EventKind,
    Household,
    NumberSequence,
    Person,
    PersonCategory,
    PersonEvent,
    PersonStatus,
    Region,
    RegionLevel,
    Relation,
    Sex,
)
from .names import name_initials

PERSON_FIELDS = ["id_number", "name", "sex", "birth_date", "household", "relation", "phone", "status",
                 "status_date"]
HOUSEHOLD_FIELDS = ["number", "region", "address", "phone", "is_active"]
PHONE_RE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8}|\d{7,8})$")


@dataclass(frozen=True)
class PersonInput:
    """What a clerk types for one person. sex and birth_date are optional: given, they must agree with the ID."""

    name: str
    id_number: str
    relation: str
    phone: str = ""
    sex: str | None = None
    birth_date: dt.date | None = None


# --- numbers and scope -----------------------------------------------------------------------------

def sequence_take(name: str, count: int = 1, *, gaps: bool = False) -> int:
    """Reserve `count` numbers from a named counter; returns the first. Call inside a transaction.

    By default the counter is a NumberSequence row (UPDATE … SET last = last + n): no number is ever lost,
    because a rolled-back transaction gives its numbers back — but the row stays locked until the caller's
    transaction ends, so every transaction taking from the same counter runs one at a time from then on.

    gaps=True (one number at a time) is for hot counters such as settlement numbers: on PostgreSQL the
    number comes from a database sequence (nextval — unique, increasing, never locked, but *not* given back
    when the transaction rolls back, so a failed or rolled-back settlement leaves a gap in the numbering).
    The sequence is created on first use, starting after the NumberSequence row's value if there is one
    (a database switched from the row carries on); from then on the row is no longer advanced, so a counter
    must always be taken the same way. SQLite serialises writers anyway and keeps using the row (no gaps)."""
    if gaps and connection.vendor == "postgresql":
        if count != 1:
            raise ValueError("gaps=True takes one number at a time")
        return _pg_sequence_next(name)
    NumberSequence.objects.get_or_create(name=name)
    NumberSequence.objects.filter(name=name).update(last=F("last") + count)
    return NumberSequence.objects.get(name=name).last - count + 1


def _pg_sequence_name(name: str) -> str:
    slug = re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")[:30]
    return f"nrcms_number_{slug}_{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def _pg_sequence_next(name: str) -> int:
    seq = _pg_sequence_name(name)
    with connection.cursor() as cursor:
        for _attempt in range(3):
            cursor.execute("SELECT nextval(to_regclass(%s))", [seq])  # NULL, not an error, while it is missing
            value = cursor.fetchone()[0]
            if value is not None:
                return value
            row = NumberSequence.objects.filter(name=name).values_list("last", flat=True).first()
            try:
                # Two first users at once: the second waits for the first's transaction, then fails on the
                # catalogue's unique index and takes from the sequence the first created.
                with transaction.atomic():
                    cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {connection.ops.quote_name(seq)} "
                                   f"AS bigint START WITH {int(row or 0) + 1}")
            except (IntegrityError, ProgrammingError):
                continue
    raise RuntimeError(f"无法取得编号序列 {name}")


def household_numbers(village_code: str, count: int) -> list[str]:
    """Household numbers: the 12-digit village code + a 5-digit sequence within the village."""
    first = sequence_take(f"household:{village_code}", count)
    return [f"{village_code}{n:05d}" for n in range(first, first + count)]


def require_household_edit(actor: User, household: Household) -> None:
    """The actor may change the registry and the household lies in the actor's jurisdiction."""
    require(actor, Cap.REGISTRY_EDIT)
    if not Household.objects.filter(region_q(actor, "region__code"), pk=household.pk).exists():
        raise NotFound("家庭户", household.number)


def require_category_edit(actor: User, household: Household, category: str) -> None:
    """Registry clerks change any category; civil affairs (扶贫办) the poverty registry's categories too."""
    if category in POVERTY_CATEGORIES and actor.can(Cap.POVERTY_MANAGE):
        if not Household.objects.filter(region_q(actor, "region__code"), pk=household.pk).exists():
            raise NotFound("家庭户", household.number)
        return
    require_household_edit(actor, household)


def require_region_edit(actor: User, region: Region) -> None:
    require(actor, Cap.REGISTRY_EDIT)
    if region.level not in (RegionLevel.VILLAGE, RegionLevel.GROUP):
        raise ValidationFailed("invalid", f"家庭户住址应选到村或村民小组，“{region.name}”是{region.get_level_display()}",
                               field="region")
    if not Region.objects.filter(region_q(actor), pk=region.pk).exists():
        raise NotFound("行政区划", region.code)


def _audit(actor, action, obj, household, *, before=None, after=None, authority="", reason=""):
    audit_record(actor=actor, action=action, obj=obj, before=before, after=after, authority=authority,
                 reason=reason, region_code=household.region.code)


# --- checks ----------------------------------------------------------------------------------------

def check_person_input(p: PersonInput, *, today: dt.date | None = None) -> tuple[str, dt.date, str]:
    """Validated (id_number, birth_date, sex). The ID is the source; typed sex or birth date must agree."""
    if not (p.name or "").strip():
        raise ValidationFailed("required", "姓名不能为空", field="name")
    if len(p.name.strip()) > 40:
        raise ValidationFailed("invalid", f"姓名“{p.name}”超过 40 个字", field="name")
    info = validate_id_number(p.id_number, today=today)
    if p.sex and p.sex != info.sex:
        raise ValidationFailed("id_sex_mismatch", f"身份证号{info.id_number}表示性别为{Sex(info.sex).label}，"
                               f"与填写的性别“{Sex(p.sex).label}”不符", field="sex")
    if p.birth_date and p.birth_date != info.birth_date:
        raise ValidationFailed("id_birth_mismatch", f"身份证号{info.id_number}表示出生日期为{info.birth_date}，"
                               f"与填写的出生日期{p.birth_date}不符", field="birth_date")
    if p.relation not in Relation.values:
        raise ValidationFailed("invalid", f"与户主关系“{p.relation}”不是有效选项", field="relation")
    check_phone(p.phone)
    return info.id_number, info.birth_date, info.sex


def check_phone(phone: str, field: str = "phone") -> None:
    if phone and not PHONE_RE.match(phone.strip()):
        raise ValidationFailed("invalid", f"电话“{phone}”格式不正确：应为 11 位手机号或带区号的固定电话", field=field)


def _check_date(date: dt.date, what: str, *, not_before: dt.date | None = None) -> None:
    if date > dt.date.today():
        raise ValidationFailed("invalid", f"{what}日期 {date} 晚于今天", field="date")
    if not_before and date < not_before:
        raise ValidationFailed("invalid", f"{what}日期 {date} 早于出生日期 {not_before}", field="date")


ELSEWHERE = "已在本县其他乡镇登记，不能重复登记；如需迁入，请联系县合管办办理"


def _visible_to(actor: User, person: Person) -> bool:
    return Person.objects.filter(region_q(actor, "household__region__code"), pk=person.pk).exists()


def registered_elsewhere(id_number: str) -> str:
    """The refusal for an ID number registered outside the actor's jurisdiction: it says nothing of the other
    household (no number, village or name), only whom to ask."""
    return f"身份证号{id_number}{ELSEWHERE}"


def _where_registered(person: Person) -> str:
    return f"{person.name}已登记在户 {person.household.number}（{person.household.region.full_name}）"


def _new_person(p: PersonInput, household: Household, id_number, birth, sex) -> Person:
    return Person(id_number=id_number, name=p.name.strip(), name_initials=name_initials(p.name), sex=sex,
                  birth_date=birth, household=household, relation=p.relation, phone=p.phone.strip())


def _active_members(household: Household):
    return household.members.filter(status=PersonStatus.ACTIVE)


def _head_of(household: Household) -> Person | None:
    return _active_members(household).filter(relation=Relation.HEAD).first()


# --- households ------------------------------------------------------------------------------------

@transaction.atomic
def household_register(
    *,
    actor: User,
    region: Region,
    head: PersonInput,
    members: list[PersonInput] = (),
    address: str = "",
    phone: str = "",
    date: dt.date | None = None,
    authority: str = "",
) -> Household:
    """Open a household with its head and members, each with a 建档 event."""
    require_region_edit(actor, region)
    date = date or dt.date.today()
    if head.relation != Relation.HEAD:
        head = PersonInput(**{**head.__dict__, "relation": Relation.HEAD})
    if any(m.relation == Relation.HEAD for m in members):
        raise ValidationFailed("invalid", "一户只能有一位户主，其他成员请选择与户主的关系", field="relation")
    check_phone(phone)
    checked, seen = [], {}
    for p in [head, *members]:
        id_number, birth, sex = check_person_input(p)
        if id_number in seen:
            raise ValidationFailed("duplicate", f"身份证号{id_number}在本户中填写了两次（{seen[id_number]}、{p.name}）",
                                   field="id_number")
        seen[id_number] = p.name
        checked.append((p, id_number, birth, sex))
    existing = Person.objects.filter(id_number__in=seen).select_related("household__region").first()
    if existing is not None:
        if not _visible_to(actor, existing):
            raise ValidationFailed("duplicate", registered_elsewhere(existing.id_number), field="id_number")
        raise ValidationFailed("duplicate", f"身份证号{existing.id_number}：{_where_registered(existing)}，"
                               "不能重复登记；如需迁入本户请办理户间迁移", field="id_number")
    village_code = region.code[:12]
    household = Household.objects.create(number=household_numbers(village_code, 1)[0], region=region,
                                         address=address.strip(), phone=phone.strip())
    people = Person.objects.bulk_create([_new_person(p, household, *rest) for p, *rest in checked])
    PersonEvent.objects.bulk_create(
        [PersonEvent(person=person, kind=EventKind.REGISTER, date=date, to_household=household) for person in people]
    )
    _audit(actor, "household.register", household, household, authority=authority,
           after={**snapshot(household, HOUSEHOLD_FIELDS),
                  "members": [snapshot(person, PERSON_FIELDS) for person in people]})
    return household


@transaction.atomic
def household_set_head(
    *, actor: User, household: Household, person: Person, old_head_relation: str, reason: str, authority: str = "",
) -> Household:
    """Make `person` the head. The former head, if still in the household, takes `old_head_relation`."""
    require_household_edit(actor, household)
    if not reason.strip():
        raise ValidationFailed("required", "变更户主必须填写原因", field="reason")
    if person.household_id != household.pk or person.status != PersonStatus.ACTIVE:
        raise ValidationFailed("invalid", f"{person.name}不是本户在册成员，不能成为户主", field="person")
    old = _head_of(household)
    if old is not None and old.pk == person.pk:
        raise ValidationFailed("invalid", f"{person.name}已是户主", field="person")
    if old is not None and old_head_relation not in set(Relation.values) - {Relation.HEAD}:
        raise ValidationFailed("required", f"请选择原户主{old.name}与新户主的关系", field="old_head_relation")
    before = {"head": old.id_number if old else None}
    _make_head(household, person, old, old_head_relation)
    _audit(actor, "household.set_head", household, household, before=before,
           after={"head": person.id_number, "old_head_relation": old_head_relation if old else None},
           reason=reason, authority=authority)
    return household


def _make_head(household: Household, person: Person, old: Person | None, old_relation: str) -> None:
    if old is not None:
        Person.objects.filter(pk=old.pk).update(relation=old_relation)
    Person.objects.filter(pk=person.pk).update(relation=Relation.HEAD)
    person.relation = Relation.HEAD


def _leave(household: Household, person: Person, new_head: Person | None, old_head_relation: str) -> None:
    """Keep the household well-formed when `person` leaves it: a head leaving names a successor; a household
    with nobody left becomes inactive (never deleted)."""
    remaining = _active_members(household).exclude(pk=person.pk)
    if person.relation == Relation.HEAD and remaining.exists():
        if new_head is None or not remaining.filter(pk=new_head.pk).exists():
            names = "、".join(m.name for m in remaining)
            raise ValidationFailed("required", f"{person.name}是户主，离开后须从本户成员（{names}）中指定新户主",
                                   field="new_head")
        Person.objects.filter(pk=person.pk).update(relation=old_head_relation or Relation.OTHER)
        Person.objects.filter(pk=new_head.pk).update(relation=Relation.HEAD)
    elif not remaining.exists():
        Household.objects.filter(pk=household.pk).update(is_active=False)


# --- people ----------------------------------------------------------------------------------------

ADD_KINDS = {EventKind.BIRTH: "出生", EventKind.MARRIAGE_IN: "婚入", EventKind.MOVE_IN: "迁入本县"}


@transaction.atomic
def person_add(
    *, actor: User, household: Household, person: PersonInput, kind: str, date: dt.date, authority: str = "",
    note: str = "",
) -> Person:
    """A birth, a marriage in or a move into the county. Someone who left the county earlier (moved or married
    out) and comes back is the same person record, re-activated here."""
    require_household_edit(actor, household)
    if kind not in ADD_KINDS:
        raise ValidationFailed("invalid", f"增员类型“{kind}”无效，应为出生、婚入或迁入本县", field="kind")
    if not household.is_active:
        raise ValidationFailed("invalid", f"户 {household.number} 已注销，不能增员", field="household")
    if person.relation == Relation.HEAD and _head_of(household) is not None:
        raise ValidationFailed("invalid", "本户已有户主；新成员请选择与户主的关系，或先变更户主", field="relation")
    id_number, birth, sex = check_person_input(person)
    _check_date(date, ADD_KINDS[kind], not_before=birth)
    if kind == EventKind.BIRTH and birth != date:
        raise ValidationFailed("invalid", f"出生登记的日期应为身份证上的出生日期 {birth}", field="date")
    existing = Person.objects.filter(id_number=id_number).select_related("household__region").first()
    if existing is not None and existing.status != PersonStatus.MOVED_OUT:
        if not _visible_to(actor, existing):
            raise ValidationFailed("duplicate", registered_elsewhere(id_number), field="id_number")
        hint = "如需迁入本户请办理户间迁移" if existing.status == PersonStatus.ACTIVE else "该人员已登记死亡"
        raise ValidationFailed("duplicate", f"身份证号{id_number}：{_where_registered(existing)}，{hint}",
                               field="id_number")
    if existing is not None:
        before = snapshot(existing, PERSON_FIELDS)
        from_household = existing.household
        existing.household, existing.relation = household, person.relation
        existing.status, existing.status_date = PersonStatus.ACTIVE, None
        existing.name, existing.name_initials = person.name.strip(), name_initials(person.name)
        existing.phone = person.phone.strip() or existing.phone
        existing.save()
        created = existing
    else:
        before, from_household = None, None
        created = _new_person(person, household, id_number, birth, sex)
        created.save()
    PersonEvent.objects.create(person=created, kind=kind, date=date, from_household=from_household,
                               to_household=household, note=note)
    _audit(actor, f"person.{kind}", created, household, before=before, after=snapshot(created, PERSON_FIELDS),
           authority=authority, reason=note)
    return created


@transaction.atomic
def person_move(
    *,
    actor: User,
    person: Person,
    to_household: Household | None,
    relation: str,
    date: dt.date,
    new_head: Person | None = None,
    old_head_relation: str = Relation.OTHER,
    new_region: Region | None = None,
    new_address: str = "",
    authority: str = "",
    reason: str = "",
) -> Person:
    """Move between households in the county. With to_household=None the person founds a new household
    (分户) in new_region as its head. Enrollments of this year stay with the household that enrolled them."""
    source = person.household
    require_household_edit(actor, source)
    if person.status != PersonStatus.ACTIVE:
        raise ValidationFailed("invalid", f"{person.name}状态为{person.get_status_display()}，不能迁移", field="person")
    _check_date(date, "迁移")
    if to_household is None:
        if new_region is None:
            raise ValidationFailed("required", "分立新户须选择新户住址（村或村民小组）", field="new_region")
        require_region_edit(actor, new_region)
        to_household = Household.objects.create(number=household_numbers(new_region.code[:12], 1)[0],
                                                region=new_region, address=new_address.strip())
        relation = Relation.HEAD
    else:
        require_household_edit(actor, to_household)
        if to_household.pk == source.pk:
            raise ValidationFailed("invalid", f"{person.name}已在户 {source.number} 中", field="to_household")
        if not to_household.is_active:
            raise ValidationFailed("invalid", f"户 {to_household.number} 已注销，不能迁入", field="to_household")
        if relation == Relation.HEAD and _head_of(to_household) is not None:
            raise ValidationFailed("invalid", f"户 {to_household.number} 已有户主，请选择与户主的关系", field="relation")
    if relation not in Relation.values:
        raise ValidationFailed("invalid", f"与户主关系“{relation}”不是有效选项", field="relation")
    before = snapshot(person, PERSON_FIELDS)
    _leave(source, person, new_head, old_head_relation)
    Person.objects.filter(pk=person.pk).update(household=to_household, relation=relation)
    person.refresh_from_db()
    PersonEvent.objects.create(person=person, kind=EventKind.MOVE, date=date, from_household=source,
                               to_household=to_household, note=reason)
    _audit(actor, "person.move", person, source, before=before, after=snapshot(person, PERSON_FIELDS),
           authority=authority, reason=reason)
    return person


END_KINDS = {
    EventKind.DEATH: (PersonStatus.DECEASED, "死亡"),
    EventKind.MARRIAGE_OUT: (PersonStatus.MOVED_OUT, "婚出"),
    EventKind.MOVE_OUT: (PersonStatus.MOVED_OUT, "迁出"),
}


def _end_membership(kind: str, *, actor: User, person: Person, date: dt.date, new_head: Person | None = None,
                    old_head_relation: str = Relation.OTHER, authority: str = "", reason: str = "") -> Person:
    status, what = END_KINDS[kind]
    household = person.household
    require_household_edit(actor, household)
    if person.status != PersonStatus.ACTIVE:
        raise ValidationFailed("invalid", f"{person.name}状态已是{person.get_status_display()}", field="person")
    _check_date(date, what, not_before=person.birth_date)
    before = snapshot(person, PERSON_FIELDS)
    _leave(household, person, new_head, old_head_relation)
    Person.objects.filter(pk=person.pk).update(status=status, status_date=date)
    person.refresh_from_db()
    PersonEvent.objects.create(person=person, kind=kind, date=date, from_household=household, note=reason)
    _audit(actor, f"person.{kind}", person, household, before=before, after=snapshot(person, PERSON_FIELDS),
           authority=authority, reason=reason)
    return person


@transaction.atomic
def person_record_death(*, actor: User, person: Person, date: dt.date, new_head: Person | None = None,
                        old_head_relation: str = Relation.OTHER, authority: str = "", reason: str = "") -> Person:
    """A head who dies names a successor in new_head; the former head's relation becomes old_head_relation."""
    return _end_membership(EventKind.DEATH, **locals())


@transaction.atomic
def person_record_marriage_out(*, actor: User, person: Person, date: dt.date, new_head: Person | None = None,
                               old_head_relation: str = Relation.OTHER, authority: str = "",
                               reason: str = "") -> Person:
    """Married to someone outside the county; within the county use person_move."""
    return _end_membership(EventKind.MARRIAGE_OUT, **locals())


@transaction.atomic
def person_record_move_out(*, actor: User, person: Person, date: dt.date, new_head: Person | None = None,
                           old_head_relation: str = Relation.OTHER, authority: str = "", reason: str = "") -> Person:
    return _end_membership(EventKind.MOVE_OUT, **locals())


@transaction.atomic
def person_update_contact(*, actor: User, person: Person, phone: str, reason: str = "") -> Person:
    require_household_edit(actor, person.household)
    check_phone(phone)
    before = snapshot(person, ["phone"])
    person.phone = phone.strip()
    person.save(update_fields=["phone"])
    _audit(actor, "person.update_contact", person, person.household, before=before,
           after=snapshot(person, ["phone"]), reason=reason)
    return person


# --- identity categories ---------------------------------------------------------------------------

@transaction.atomic
def person_category_grant(*, actor: User, person: Person, category: str, valid_from: dt.date,
                          valid_to: dt.date | None = None, authority: str) -> PersonCategory:
    """Grant a category for a period. A category is held once at a time; the past is never overwritten."""
    require_category_edit(actor, person.household, category)
    if category not in Category.values:
        raise ValidationFailed("invalid", f"人员类别“{category}”无效", field="category")
    if not authority.strip():
        raise ValidationFailed("required", "认定人员类别须填写依据（批准文件或证号）", field="authority")
    if valid_to and valid_to < valid_from:
        raise ValidationFailed("invalid", f"终止日期 {valid_to} 早于起始日期 {valid_from}", field="valid_to")
    label = Category(category).label
    overlapping = person.categories.filter(category=category).exclude(valid_to__lt=valid_from)
    if valid_to:
        overlapping = overlapping.filter(valid_from__lte=valid_to)
    if overlapping.exists():
        raise ValidationFailed("overlap", f"{person.name}在该期间已认定为{label}，请先终止原认定", field="valid_from")
    row = PersonCategory.objects.create(person=person, category=category, valid_from=valid_from, valid_to=valid_to,
                                        authority=authority.strip())
    _audit(actor, "person.category_grant", person, person.household, authority=authority,
           after={"category": category, "valid_from": valid_from, "valid_to": valid_to})
    return row


@transaction.atomic
def person_category_end(*, actor: User, category: PersonCategory, valid_to: dt.date, reason: str) -> PersonCategory:
    """End a category: valid_to is the last day it is held. Care after that day is settled and printed
    without it; settlements already made keep what they applied (their inputs record it)."""
    category = PersonCategory.objects.select_for_update().select_related("person__household").get(pk=category.pk)
    person = category.person
    require_category_edit(actor, person.household, category.category)
    label = category.get_category_display()
    if not (reason or "").strip():
        raise ValidationFailed("required", f"终止{label}认定须填写原因（如：脱贫退出、低保停发）", field="reason")
    if len(reason.strip()) > 300:
        raise ValidationFailed("too_long", f"终止原因最多 300 个字，现有 {len(reason.strip())} 个字", field="reason")
    if category.valid_to is not None:
        raise ValidationFailed("already_ended", f"{person.name}的{label}认定已于 {category.valid_to} 终止，不能再次终止",
                               field="valid_to")
    if valid_to < category.valid_from:
        raise ValidationFailed("invalid", f"终止日期 {valid_to} 早于{label}认定的起始日期 {category.valid_from}",
                               field="valid_to")
    category.valid_to = valid_to
    category.save(update_fields=["valid_to"])
    _audit(actor, "person.category_end", person, person.household, reason=reason.strip(),
           before={"category": category.category, "valid_to": None},
           after={"category": category.category, "valid_to": valid_to})
    return category

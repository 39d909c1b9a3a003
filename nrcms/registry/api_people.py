"""JSON API for households, people, enrollment, certificates and roster imports: the same services as the pages."""

from __future__ import annotations

import datetime as dt

from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from nrcms.accounts.client_ip import client_ip
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import region_list
from nrcms.api.auth import requires
from nrcms.api.base import ERRORS, PageOut, paginate
from nrcms.api.choices import coded, coded_query
from nrcms.api.masked import MaskedIdNumber, MaskedPhone
from nrcms.core.errors import ValidationFailed

from . import enrollment, people, reads
from . import roster_import as importer
from . import selectors_people as sel
from .models import (
    Category,
    CertificateStatus,
    EventKind,
    ExemptionReason,
    Household,
    ImportStatus,
    Person,
    PersonStatus,
    RegionLevel,
    Relation,
    Sex,
)

router = Router(tags=["家庭户与参合"], auth=requires(Cap.REGISTRY_VIEW))


class PersonOut(Schema):
    id: int
    name: str
    id_number: MaskedIdNumber
    sex: coded(Sex)
    birth_date: dt.date
    relation: coded(Relation, description="与户主关系")
    phone: MaskedPhone
    status: coded(PersonStatus)
    household_number: str


def person_out(p: Person) -> dict:
    return {"id": p.pk, "name": p.name, "id_number": p.id_number, "sex": p.sex, "birth_date": p.birth_date,
            "relation": p.relation, "phone": p.phone, "status": p.status, "household_number": p.household.number}


class HouseholdOut(Schema):
    id: int
    number: str
    region_code: str
    address: str
    phone: MaskedPhone
    is_active: bool
    head: str | None
    certificate: str | None


def household_out(h: Household) -> dict:
    heads = getattr(h, "heads", None)
    if heads is None:
        heads = list(h.members.filter(relation="head", status="active"))
    head = heads[0] if heads else None
    cert = sel.valid_certificate(h)
    return {"id": h.pk, "number": h.number, "region_code": h.region.code, "address": h.address, "phone": h.phone,
            "is_active": h.is_active, "head": head.name if head else None, "certificate": cert.number if cert else None}


class HouseholdPage(PageOut):
    items: list[HouseholdOut]


class EnrollmentYear(Schema):
    scheme_year: int
    enrolled: list[int]
    exempt: dict[int, coded(ExemptionReason, description="未参合原因")]


class HouseholdDetail(HouseholdOut):
    members: list[PersonOut]
    enrollments: list[EnrollmentYear]


@router.get("/households", response={200: HouseholdPage, **ERRORS}, summary="家庭户列表（按姓名、拼音、身份证号、证号、村查询）")
def households(request, search: str = "", region: str = "", offset: int = 0, limit: int = 50):
    items, page = paginate(sel.household_list(actor=request.user, search=search, region_code=region), offset, limit)
    reads.id_search_record_if_id(actor=request.user, search=search, count=page["total"], via=reads.VIA_API,
                                 ip=client_ip(request))
    return {**page, "items": [household_out(h) for h in items]}


def household_detail_out(h: Household) -> dict:
    years = [{"scheme_year": y, "enrolled": sorted(d["enrolled"]),
              "exempt": {pid: x.reason for pid, x in d["exempt"].items()}}
             for y, d in sel.household_enrollments(h).items()]
    return {**household_out(h), "members": [person_out(p) for p in sel.household_members(h)], "enrollments": years}


@router.get("/households/{pk}", response={200: HouseholdDetail, **ERRORS}, summary="一户的成员、参合与证")
def household(request, pk: int):
    h = sel.household_get(actor=request.user, pk=pk)
    reads.household_view_record(actor=request.user, household=h, via=reads.VIA_API, ip=client_ip(request))
    return household_detail_out(h)


class PersonIn(Schema):
    name: str
    id_number: str
    relation: coded(Relation, description="与户主关系（户主本人按 head 登记）") = "other"
    phone: str = ""


class HouseholdIn(Schema):
    region_code: str
    address: str = ""
    phone: str = ""
    head: PersonIn
    members: list[PersonIn] = []
    authority: str = ""


def _input(p: PersonIn, relation: str | None = None) -> people.PersonInput:
    return people.PersonInput(name=p.name, id_number=p.id_number, relation=relation or p.relation, phone=p.phone)


@router.post("/households", auth=requires(Cap.REGISTRY_EDIT),
             response={201: HouseholdDetail, **ERRORS}, summary="新建家庭户（户主与成员）")
def household_create(request, payload: HouseholdIn):
    region = region_list(actor=request.user).filter(code=payload.region_code,
                                                    level__in=[RegionLevel.VILLAGE, RegionLevel.GROUP]).first()
    if region is None:
        raise ValidationFailed("invalid", f"区划代码“{payload.region_code}”不是您管辖范围内的村或村民小组",
                               field="region_code")
    h = people.household_register(actor=request.user, region=region, head=_input(payload.head, "head"),
                                  members=[_input(m) for m in payload.members], address=payload.address,
                                  phone=payload.phone, authority=payload.authority)
    return Status(201, household_detail_out(h))


class MemberIn(PersonIn):
    kind: coded(EventKind, only=("birth", "marriage_in", "move_in"), description="增员事由")
    date: dt.date
    note: str = ""


@router.post("/households/{pk}/members", auth=requires(Cap.REGISTRY_EDIT),
             response={201: PersonOut, **ERRORS}, summary="增员：出生、婚入、迁入本县")
def member_add(request, pk: int, payload: MemberIn):
    h = sel.household_get(actor=request.user, pk=pk)
    p = people.person_add(actor=request.user, household=h, person=_input(payload), kind=payload.kind,
                          date=payload.date, note=payload.note)
    return Status(201, person_out(p))


class PersonPage(PageOut):
    items: list[PersonOut]


@router.get("/persons", response={200: PersonPage, **ERRORS}, summary="人员查询（姓名、拼音首字母、身份证号、证号、村）")
def persons(request, search: str = "", region: str = "", status: coded_query(PersonStatus) = "", offset: int = 0,
            limit: int = 50):
    qs = sel.person_search(actor=request.user, search=search, region_code=region, status=status)
    items, page = paginate(qs, offset, limit)
    reads.id_search_record_if_id(actor=request.user, search=search, count=page["total"], via=reads.VIA_API,
                                 ip=client_ip(request))
    return {**page, "items": [person_out(p) for p in items]}


class EventOut(Schema):
    kind: coded(EventKind)
    date: dt.date
    from_household: str | None
    to_household: str | None
    note: str


class PersonCategoryOut(Schema):
    id: int
    category: coded(Category, description="人员类别")
    label: str
    valid_from: dt.date
    valid_to: dt.date | None
    authority: str
    held_today: bool


def category_out(c) -> dict:
    return {"id": c.pk, "category": c.category, "label": c.get_category_display(), "valid_from": c.valid_from,
            "valid_to": c.valid_to, "authority": c.authority, "held_today": c.held_today}


class PersonDetail(PersonOut):
    events: list[EventOut]
    categories: list[PersonCategoryOut]


@router.get("/persons/{pk}", response={200: PersonDetail, **ERRORS}, summary="人员详情与变动记录")
def person(request, pk: int):
    p = sel.person_get(actor=request.user, pk=pk)
    reads.person_view_record(actor=request.user, person=p, via=reads.VIA_API, ip=client_ip(request))
    events = [{"kind": e.kind, "date": e.date, "from_household": e.from_household.number if e.from_household else None,
               "to_household": e.to_household.number if e.to_household else None, "note": e.note}
              for e in p.events.select_related("from_household", "to_household").order_by("date", "id")]
    return {**person_out(p), "events": events, "categories": [category_out(c) for c in sel.person_categories(p)]}


@router.get("/persons/{pk}/categories", response={200: list[PersonCategoryOut], **ERRORS},
            summary="人员类别认定（五保、低保、建档立卡等）及起止日期")
def person_categories(request, pk: int):
    return [category_out(c) for c in sel.person_categories(sel.person_get(actor=request.user, pk=pk))]


class PersonCategoryIn(Schema):
    category: coded(Category, description="人员类别")
    valid_from: dt.date
    valid_to: dt.date | None = None
    authority: str


@router.post("/persons/{pk}/categories", auth=requires(Cap.REGISTRY_EDIT),
             response={201: PersonCategoryOut, **ERRORS}, summary="认定人员类别（须填依据）")
def person_category_add(request, pk: int, payload: PersonCategoryIn):
    person = sel.person_get(actor=request.user, pk=pk)
    row = people.person_category_grant(actor=request.user, person=person, category=payload.category,
                                       valid_from=payload.valid_from, valid_to=payload.valid_to,
                                       authority=payload.authority)
    return Status(201, category_out(_with_state(row)))


class PersonCategoryEndIn(Schema):
    valid_to: dt.date  # the last day the category is held
    reason: str


@router.post("/persons/{pk}/categories/{category_id}/end", auth=requires(Cap.REGISTRY_EDIT),
             response={200: PersonCategoryOut, **ERRORS},
             summary="终止人员类别认定（终止日期为享受的最后一天，须填原因）")
def person_category_end(request, pk: int, category_id: int, payload: PersonCategoryEndIn):
    person = sel.person_get(actor=request.user, pk=pk)
    row = people.person_category_end(actor=request.user, category=sel.person_category_get(person=person, pk=category_id),
                                     valid_to=payload.valid_to, reason=payload.reason)
    return category_out(_with_state(row))


def _with_state(row):
    return next(c for c in sel.person_categories(row.person) if c.pk == row.pk)


class EventIn(Schema):
    kind: coded(EventKind, only=("death", "marriage_out", "move_out", "move"), description="减员或迁移事由")
    date: dt.date
    to_household: str | None = None
    relation: coded(Relation, description="户间迁移时在迁入户中与户主的关系") = "other"
    new_head_id: int | None = None
    reason: str = ""
    authority: str = ""


END_SERVICES = {"death": people.person_record_death, "marriage_out": people.person_record_marriage_out,
                "move_out": people.person_record_move_out}


@router.post("/persons/{pk}/events", auth=requires(Cap.REGISTRY_EDIT),
             response={201: PersonOut, **ERRORS}, summary="登记人员变动：死亡、婚出、迁出、户间迁移")
def person_event(request, pk: int, payload: EventIn):
    p = sel.person_get(actor=request.user, pk=pk)
    new_head = sel.person_get(actor=request.user, pk=payload.new_head_id) if payload.new_head_id else None
    if payload.kind == "move":
        if not payload.to_household:
            raise ValidationFailed("required", "户间迁移须填写迁入户编号", field="to_household")
        target = sel.household_by_number(actor=request.user, number=payload.to_household)
        p = people.person_move(actor=request.user, person=p, to_household=target, relation=payload.relation,
                               date=payload.date, new_head=new_head, reason=payload.reason,
                               authority=payload.authority)
    else:
        p = END_SERVICES[payload.kind](actor=request.user, person=p, date=payload.date, new_head=new_head,
                                       reason=payload.reason, authority=payload.authority)
    return Status(201, person_out(p))


class EnrollIn(Schema):
    scheme_year: int
    person_ids: list[int] | None = None
    exemptions: dict[int, tuple[coded(ExemptionReason), str]] = Field(
        {}, description="未参合成员：{人员 id: [未参合原因, 说明]}；原因为 other 时须填说明")
    authority: str = ""


class EnrollOut(Schema):
    enrolled: list[int]
    exempted: list[int]


@router.post("/households/{pk}/enrollments", auth=requires(Cap.REGISTRY_EDIT),
             response={201: EnrollOut, **ERRORS},
             summary="以户为单位参合（未参合成员须登记原因）")
def enroll(request, pk: int, payload: EnrollIn):
    h = sel.household_get(actor=request.user, pk=pk)
    result = enrollment.household_enroll(actor=request.user, household=h, scheme_year=payload.scheme_year,
                                         person_ids=payload.person_ids, exemptions=payload.exemptions,
                                         authority=payload.authority)
    return Status(201, {"enrolled": [p.pk for p in result.enrolled], "exempted": [p.pk for p in result.exempted]})


class CertificateOut(Schema):
    number: str
    status: coded(CertificateStatus)
    replaces: str | None


class ReissueIn(Schema):
    reason: str


def certificate_out(c) -> dict:
    return {"number": c.number, "status": c.status, "replaces": c.replaces.number if c.replaces_id else None}


@router.post("/households/{pk}/certificate", auth=requires(Cap.REGISTRY_EDIT),
             response={201: CertificateOut, **ERRORS}, summary="发放合作医疗证")
def certificate_issue(request, pk: int):
    h = sel.household_get(actor=request.user, pk=pk)
    return Status(201, certificate_out(enrollment.certificate_issue(actor=request.user, household=h)))


@router.post("/households/{pk}/certificate/reissue", auth=requires(Cap.REGISTRY_EDIT),
             response={201: CertificateOut, **ERRORS},
             summary="补发合作医疗证（原证作废）")
def certificate_reissue(request, pk: int, payload: ReissueIn):
    h = sel.household_get(actor=request.user, pk=pk)
    return Status(201, certificate_out(enrollment.certificate_reissue(actor=request.user, household=h, reason=payload.reason)))


class ImportJobOut(Schema):
    id: int
    status: coded(ImportStatus)
    township: str
    scheme_year: int | None
    file_name: str
    file_hash: str
    rows_total: int
    rows_done: int
    households_created: int
    persons_created: int
    households_unchanged: int
    persons_enrolled: int
    rows_error: int
    message: str
    error_report_url: str | None


def job_out(job) -> dict:
    return {**{f: getattr(job, f) for f in ("id", "status", "scheme_year", "file_name", "file_hash", "rows_total",
                                           "rows_done", "households_created", "persons_created",
                                           "households_unchanged", "persons_enrolled", "rows_error", "message")},
            "township": job.township.code,
            "error_report_url": f"/registry/import/{job.pk}/errors.xlsx" if job.error_report else None}


@router.post("/imports", auth=requires(Cap.REGISTRY_EDIT),
             response={202: ImportJobOut, **ERRORS}, summary="上传乡镇花名册（.xlsx/.csv）并导入")
def import_upload(request, file: File[UploadedFile], township: Form[str], scheme_year: Form[int | None] = None):
    region = region_list(actor=request.user, level=RegionLevel.TOWNSHIP).filter(code=township).first()
    if region is None:
        raise ValidationFailed("invalid", f"乡镇代码“{township}”不在您的管辖范围内", field="township")
    job = importer.roster_import_create(actor=request.user, township=region, file_name=file.name,
                                        content=file.read(), scheme_year=scheme_year)
    importer.roster_import_task.enqueue(job.pk)
    job.refresh_from_db()
    return Status(202, job_out(job))


@router.get("/imports/{pk}", auth=requires(Cap.REGISTRY_EDIT),
            response={200: ImportJobOut, **ERRORS}, summary="导入任务的进度与结果")
def import_job(request, pk: int):
    return job_out(sel.import_job_get(actor=request.user, pk=pk))


@router.post("/imports/{pk}/resume", auth=requires(Cap.REGISTRY_EDIT), response={202: ImportJobOut, **ERRORS},
             summary="继续导入中断或失败的导入任务（同一文件重新处理，已写入的户不重复）")
def import_resume(request, pk: int):
    job = importer.roster_import_resume(actor=request.user, job=sel.import_job_get(actor=request.user, pk=pk))
    return Status(202, job_out(job))

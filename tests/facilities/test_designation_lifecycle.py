"""The designation lifecycle (issue 12): add a facility, assessments, and warnings, suspensions, revocations
and reinstatements asked by the county office and approved by the director (never the one who asked), in force
from their effective date — the desk refuses care from that day on, not before."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from nrcms.accounts.models import AuditEntry
from nrcms.claims import desk_admission
from nrcms.claims.desk_admission import AdmissionInput, admission_register
from nrcms.core.errors import Conflict, Forbidden, ValidationFailed
from nrcms.core.idnumber import make_id_number
from nrcms.facilities.designation import (
    assessment_record,
    designation_approve,
    designation_reject,
    designation_request,
)
from nrcms.facilities.models import DesignationChange, Facility, RequestStatus
from nrcms.facilities.services import facility_status_on
from nrcms.registry.models import Certificate, Enrollment, Household, Person, Region

pytestmark = pytest.mark.django_db
ZUAN = "H610125103"  # 祖庵镇卫生院


def zuan():
    return Facility.objects.get(code=ZUAN)


def enrolled_person(year: int) -> Person:
    household = Household.objects.create(number="T-LC-0001", region=Region.objects.get(code="610125100201001"))
    Certificate.objects.create(household=household, number="C-T-LC-0001")
    person = Person.objects.create(id_number=make_id_number("610125", dt.date(1970, 5, 5), 477, "M"), name="周定点",
                                   sex="M", birth_date=dt.date(1970, 5, 5), household=household, relation="head")
    Enrollment.objects.create(person=person, household=household, scheme_year=year)
    return person


def visit(demo, person, day, serial):
    return admission_register(actor=demo["desk_zuan"], data=AdmissionInput(
        serial=serial, kind="outpatient", id_number=person.id_number, admission_date=day))


def test_a_suspension_effective_tomorrow_refuses_care_from_tomorrow_not_today(demo, monkeypatch):
    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    person = enrolled_person(tomorrow.year)  # (on 31 December the visit today is a year earlier: enrol both)
    if today.year != tomorrow.year:
        Enrollment.objects.create(person=person, household=person.household, scheme_year=today.year)
    request = designation_request(actor=demo["reviewer"], facility=zuan(), action="suspend",
                                  effective_date=tomorrow, reason="年度考核不合格，暂停三个月", authority="县卫健局〔2026〕9号")
    assert request.status == RequestStatus.PENDING and facility_status_on(zuan(), tomorrow) == "designated"
    approved = designation_approve(actor=demo["director"], request=request, note="同意")
    assert approved.status == RequestStatus.APPROVED and approved.change.status == "suspended"
    assert approved.change.effective_date == tomorrow
    episode, _ = visit(demo, person, today, "LC-TODAY")  # today: still designated
    assert episode.pk
    monkeypatch.setattr(desk_admission, "today", lambda: tomorrow)
    with pytest.raises(ValidationFailed, match="暂停") as refused:
        visit(demo, person, tomorrow, "LC-TOMORROW")
    assert refused.value.code == "facility_not_designated"
    actions = list(AuditEntry.objects.filter(facility_code=ZUAN).values_list("action", flat=True))
    assert {"facility.designation_request", "facility.designation_approve", "facility.status"} <= set(actions)


def test_the_one_who_asked_cannot_approve_and_the_reviewer_cannot_approve_at_all(demo):
    request = designation_request(actor=demo["reviewer"], facility=zuan(), action="warning",
                                  effective_date=timezone.localdate(), reason="药占比连续三个月超标")
    with pytest.raises(Forbidden):
        designation_approve(actor=demo["reviewer"], request=request)  # no FACILITY_DESIGNATION_APPROVE
    with pytest.raises(Forbidden):
        designation_request(actor=demo["director"], facility=zuan(), action="warning",
                            effective_date=timezone.localdate(), reason="x")  # the director only decides
    with pytest.raises(Conflict):  # one pending request per facility
        designation_request(actor=demo["reviewer"], facility=zuan(), action="suspend",
                            effective_date=timezone.localdate(), reason="再次")
    approved = designation_approve(actor=demo["director"], request=request)
    assert approved.change is None  # a warning changes no status
    assert not DesignationChange.objects.filter(facility=zuan()).exists()


def test_rejection_needs_a_note_and_changes_nothing(demo):
    request = designation_request(actor=demo["reviewer"], facility=zuan(), action="revoke",
                                  effective_date=timezone.localdate() + dt.timedelta(days=30), reason="违规套取基金")
    with pytest.raises(ValidationFailed, match="驳回理由"):
        designation_reject(actor=demo["director"], request=request, note="")
    rejected = designation_reject(actor=demo["director"], request=request, note="证据不足，先约谈")
    assert rejected.status == RequestStatus.REJECTED and not DesignationChange.objects.filter(facility=zuan()).exists()
    with pytest.raises(ValidationFailed, match="已驳回"):
        designation_approve(actor=demo["director"], request=rejected)


def test_revoke_then_reinstate_and_actions_that_do_not_fit_the_status(demo):
    today = timezone.localdate()
    with pytest.raises(ValidationFailed, match="不能恢复定点"):
        designation_request(actor=demo["reviewer"], facility=zuan(), action="reinstate", effective_date=today,
                            reason="x")
    with pytest.raises(ValidationFailed, match="不能早于今天"):
        designation_request(actor=demo["reviewer"], facility=zuan(), action="suspend",
                            effective_date=today - dt.timedelta(days=1), reason="x")
    designation_approve(actor=demo["director"], request=designation_request(
        actor=demo["reviewer"], facility=zuan(), action="revoke", effective_date=today, reason="违规"))
    assert facility_status_on(zuan(), today) == "revoked"
    designation_approve(actor=demo["director"], request=designation_request(
        actor=demo["reviewer"], facility=zuan(), action="reinstate", effective_date=today + dt.timedelta(days=10),
        reason="整改合格"))
    assert facility_status_on(zuan(), today + dt.timedelta(days=9)) == "revoked"
    assert facility_status_on(zuan(), today + dt.timedelta(days=10)) == "designated"


def test_assessment_is_recorded_and_checked(demo):
    today = timezone.localdate()
    record = assessment_record(actor=demo["reviewer"], facility=zuan(), assessed_on=today, score="86.5",
                               findings="病历书写规范；药占比偏高", assessor="县合管办考核组")
    assert record.score == Decimal("86.50")
    assert AuditEntry.objects.filter(action="facility.assessment", object_id=str(record.pk)).exists()
    with pytest.raises(ValidationFailed, match="0 到 100"):
        assessment_record(actor=demo["reviewer"], facility=zuan(), assessed_on=today, score="101",
                          findings="x", assessor="y")
    with pytest.raises(ValidationFailed, match="不能晚于今天"):
        assessment_record(actor=demo["reviewer"], facility=zuan(), assessed_on=today + dt.timedelta(days=1),
                          score="80", findings="x", assessor="y")


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_api_create_facility_request_and_approve(client, login, demo):
    login("reviewer")
    response = post_json(client, "/api/facilities", {"code": "H610125199", "name": "试验乡卫生院", "level": "township",
                                                     "in_county": True, "region_code": "610125100000"})
    assert response.status_code == 201, response.content
    assert json.loads(response.content)["region_code"] == "610125100000"
    again = post_json(client, "/api/facilities", {"code": "H610125199", "name": "重复", "level": "township",
                                                  "region_code": "610125100000"})
    assert again.status_code == 422 and "机构编码“H610125199”已存在" in again.content.decode()
    response = post_json(client, "/api/facilities/H610125199/assessments", {
        "assessed_on": str(timezone.localdate()), "score": "90", "findings": "合格", "assessor": "考核组"})
    assert response.status_code == 201, response.content
    tomorrow = str(timezone.localdate() + dt.timedelta(days=1))
    response = post_json(client, "/api/facilities/H610125199/designation-requests",
                         {"action": "suspend", "effective_date": tomorrow, "reason": "考核复查"})
    assert response.status_code == 201, response.content
    request_id = json.loads(response.content)["id"]
    assert post_json(client, f"/api/facilities/designation-requests/{request_id}/approve", {}).status_code == 403
    login("director")
    listing = json.loads(client.get("/api/facilities/designation-requests?status=pending").content)
    assert [r["id"] for r in listing["items"]] == [request_id]
    response = post_json(client, f"/api/facilities/designation-requests/{request_id}/approve", {"note": "同意"})
    assert response.status_code == 200 and json.loads(response.content)["status"] == "approved"
    detail = json.loads(client.get("/api/facilities/H610125199").content)
    assert detail["status"] == "designated" and detail["scheduled"][0]["status"] == "suspended"


def test_pages_request_approve_and_create(client, login, demo):
    login("reviewer")
    response = client.post("/facilities/new/", {"code": "H610125198", "name": "新建村卫生室", "level": "village",
                                                 "in_county": "on", "region": "610125100201"})
    assert response.status_code == 302 and response["Location"] == "/facilities/H610125198/"
    assert Facility.objects.get(code="H610125198").region.code == "610125100201"
    response = client.post(f"/facilities/{ZUAN}/supervision/", {
        "form": "request", "action": "warning", "effective_date": str(timezone.localdate()),
        "reason": "次均费用增长过快"})
    assert response.status_code == 302
    response = client.post(f"/facilities/{ZUAN}/supervision/", {
        "form": "assessment", "assessed_on": str(timezone.localdate()), "score": "120", "assessor": "考核组",
        "findings": "x"})
    assert response.status_code == 200 and "考核得分" in response.content.decode()
    page = client.get(f"/facilities/{ZUAN}/supervision/").content.decode()
    assert "次均费用增长过快" in page and "待审批" in page
    login("director")
    queue = client.get("/facilities/designation-requests/").content.decode()
    assert "祖庵镇卫生院" in queue and "批准" in queue
    pending = zuan().designation_requests.get()
    response = client.post("/facilities/designation-requests/", {"request": pending.pk, "decision": "approve",
                                                                 "note": "同意警告"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == RequestStatus.APPROVED and pending.decided_by == demo["director"]

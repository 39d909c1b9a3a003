"""转诊备案: who may record and cancel, every refusal, scoping, the one rule the desk and manual reimbursement
share (own, this facility, filed no later than 7 days after admission, admission within validity), the API,
the pages and the demo's referrals."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from nrcms.accounts.models import AuditEntry
from nrcms.claims import manual
from nrcms.claims.desk_admission import AdmissionInput, admission_register
from nrcms.claims.manual import ManualClaimInput, ReceiptLine, manual_claim_record, manual_claim_trial
from nrcms.claims.models import Referral
from nrcms.claims.referral import (
    FILE_DAYS,
    MAX_VALID_DAYS,
    VALID_DAYS,
    referral_cancel,
    referral_get,
    referral_list,
    referral_person,
    referral_record,
)
from nrcms.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from nrcms.facilities.models import Facility
from nrcms.registry.models import Enrollment

pytestmark = pytest.mark.django_db

ADMIT, DISCHARGE, PAPERS = dt.date(2026, 5, 10), dt.date(2026, 5, 20), dt.date(2026, 5, 30)
RECEIPTS = (ReceiptLine("甲类费用合计", Decimal("3000.00"), "A"),
            ReceiptLine("乙类费用合计", Decimal("5000.00"), "B", Decimal("0.2")),
            ReceiptLine("丙类费用合计", Decimal("1000.00"), "C"))


def fac(code):
    return Facility.objects.get(code=code)


XIAN, PROVINCE, COUNTY, TCM, GANTING_HC, YUXIA_HC, CLINIC = (
    "H610100001", "H610000001", "H610125001", "H610125002", "H610125101", "H610125102", "C610125100201")


def record(actor, person, *, to=XIAN, frm=GANTING_HC, approved_on=dt.date(2026, 5, 9), **kw):
    values = {"to_facility": fac(to) if to else None, "from_facility": fac(frm) if frm else None,
              "diagnosis_code": "I21.9", "approved_on": approved_on}
    values.update(kw)
    return referral_record(actor=actor, person=person, **values)


def refused(exc_type, *args, **kw):
    with pytest.raises(exc_type) as exc:
        record(*args, **kw)
    return exc.value


# --- recording --------------------------------------------------------------------------------------

def test_a_township_clerk_records_a_referral_for_a_resident(demo, family):
    before = Referral.objects.filter(number__startswith="ZZ2026").count()
    r = record(demo["ganting"], family.head, reason="急性心梗，需介入")
    # ZZ + approval year + 5-digit sequence; valid 30 days from 2026-05-09 → 2026-06-08
    assert r.number.startswith("ZZ2026") and len(r.number) == 11 and r.number[6:].isdigit()
    assert r.valid_until == dt.date(2026, 5, 9) + dt.timedelta(days=VALID_DAYS) == dt.date(2026, 6, 8)
    assert (r.person, r.to_facility.code, r.from_facility.code, r.approved_by) == (
        family.head, XIAN, GANTING_HC, demo["ganting"])
    assert r.to_name == "" and r.reason == "急性心梗，需介入" and not r.cancelled
    second = record(demo["ganting"], family.spouse)
    assert int(second.number[6:]) == int(r.number[6:]) + 1
    assert Referral.objects.filter(number__startswith="ZZ2026").count() == before + 2
    entry = AuditEntry.objects.filter(action="referral.record", object_id=str(r.pk)).get()
    assert entry.actor_username == "ganting" and entry.region_code == family.household.region.code
    assert entry.after["person"] == family.head.id_number and entry.after["to_facility"] == XIAN


def test_the_county_office_records_for_anyone_and_others_may_not(demo, family):
    assert record(demo["reviewer"], family.head).approved_by == demo["reviewer"]
    assert record(demo["director"], family.child, valid_until=dt.date(2026, 5, 20)).valid_until == dt.date(2026, 5, 20)
    for username in ("donghan", "desk_county", "finance", "auditor"):
        with pytest.raises(Forbidden):
            record(demo[username], family.head)


def test_another_townships_clerk_cannot_record_or_find_the_person(demo, family):
    exc = refused(Forbidden, demo["yuxia"], family.head)
    assert "不在您的管辖范围内" in exc.message
    with pytest.raises(ValidationFailed) as exc:
        referral_person(actor=demo["yuxia"], id_number=family.head.id_number)
    assert exc.value.field == "id_number"
    assert referral_person(actor=demo["ganting"], id_number=family.head.id_number.lower()) == family.head


def test_refusals_each_name_their_field(demo, family):
    clerk = demo["ganting"]
    exc = refused(ValidationFailed, clerk, family.head, approved_on=dt.date(2025, 12, 20))
    assert (exc.code, exc.field) == ("not_enrolled", "id_number")
    Enrollment.objects.filter(person=family.spouse).update(status="cancelled")
    assert refused(ValidationFailed, clerk, family.spouse).code == "not_enrolled"
    exc = refused(ValidationFailed, clerk, family.head, approved_on=dt.date.today() + dt.timedelta(days=1))
    assert exc.field == "approved_on" and "晚于今天" in exc.message
    exc = refused(ValidationFailed, clerk, family.head, valid_until=dt.date(2026, 5, 8))
    assert exc.field == "valid_until" and "早于批准日期" in exc.message
    exc = refused(ValidationFailed, clerk, family.head, valid_until=dt.date(2026, 5, 9) + dt.timedelta(days=MAX_VALID_DAYS + 1))
    assert exc.field == "valid_until" and str(MAX_VALID_DAYS) in exc.message
    assert record(clerk, family.head, valid_until=dt.date(2026, 5, 9) + dt.timedelta(days=MAX_VALID_DAYS)).pk
    assert refused(ValidationFailed, clerk, family.head, diagnosis_code=" ").field == "diagnosis_code"
    exc = refused(ValidationFailed, clerk, family.head, diagnosis_code="Z99.999")
    assert (exc.code, exc.field) == ("not_found", "diagnosis_code")
    assert refused(ValidationFailed, clerk, family.head, to=None).field == "to_facility"
    exc = refused(ValidationFailed, clerk, family.head, to_name="陕西省人民医院")  # XIAN and another name
    assert exc.field == "to_name"


def test_a_referral_goes_up_or_out_of_the_county(demo, family):
    clerk = demo["ganting"]
    assert record(clerk, family.head, to=COUNTY).to_facility.code == COUNTY  # township → county hospital
    assert record(clerk, family.head, to=PROVINCE, frm=COUNTY).pk  # county → out of county
    assert record(clerk, family.head, to=COUNTY, frm=None).pk  # approved by the office itself
    exc = refused(ValidationFailed, clerk, family.head, to=YUXIA_HC)  # township → township: same level
    assert (exc.code, exc.field) == ("not_higher", "to_facility")
    assert refused(ValidationFailed, clerk, family.head, to=TCM, frm=COUNTY).code == "not_higher"  # county → county
    assert refused(ValidationFailed, clerk, family.head, to=GANTING_HC, frm=COUNTY).code == "not_higher"  # down
    assert refused(ValidationFailed, clerk, family.head, to=GANTING_HC, frm=None).code == "not_higher"
    assert refused(ValidationFailed, clerk, family.head, to=CLINIC, frm=None).code == "not_higher"
    exc = refused(ValidationFailed, clerk, family.head, to=PROVINCE, frm=XIAN)
    assert exc.field == "from_facility" and "县外" in exc.message


def test_a_name_of_a_facility_on_record_becomes_that_facility(demo, family):
    r = record(demo["ganting"], family.head, to=None, to_name=" 西安市中心医院 ")
    assert r.to_facility.code == XIAN and r.to_name == ""
    other = record(demo["ganting"], family.head, to=None, to_name="北京协和医院")
    assert other.to_facility is None and other.to_name == "北京协和医院" and other.destination == "北京协和医院"


# --- cancelling -------------------------------------------------------------------------------------

def test_cancel_needs_a_reason_and_happens_once(demo, family):
    r = record(demo["ganting"], family.head)
    with pytest.raises(ValidationFailed) as exc:
        referral_cancel(actor=demo["ganting"], referral=r, reason="  ")
    assert exc.value.field == "reason"
    with pytest.raises(NotFound):  # not in 余下镇's jurisdiction
        referral_cancel(actor=demo["yuxia"], referral=r, reason="错录")
    with pytest.raises(Forbidden):
        referral_cancel(actor=demo["desk_county"], referral=r, reason="错录")
    r = referral_cancel(actor=demo["ganting"], referral=r, reason="患者放弃转诊")
    assert r.cancelled and r.cancelled_by == demo["ganting"] and r.cancel_reason == "患者放弃转诊"
    assert AuditEntry.objects.filter(action="referral.cancel", object_id=str(r.pk), reason="患者放弃转诊").exists()
    with pytest.raises(Conflict) as exc:
        referral_cancel(actor=demo["reviewer"], referral=r, reason="再次")
    assert exc.value.code == "already_cancelled"


def test_a_referral_in_use_cannot_be_cancelled(demo, family):
    r = record(demo["ganting"], family.head, to=COUNTY)
    admission_register(actor=demo["desk_county"], data=AdmissionInput(
        serial="ZY-R1", kind="inpatient", id_number=family.head.id_number, admission_date=ADMIT,
        referral_number=r.number))
    with pytest.raises(Conflict) as exc:
        referral_cancel(actor=demo["reviewer"], referral=r, reason="错录")
    assert exc.value.code == "in_use" and "ZY-R1" in exc.value.message


# --- reading ----------------------------------------------------------------------------------------

def test_the_list_is_scoped_and_searchable(demo, family):
    mine = record(demo["ganting"], family.head)
    child = record(demo["ganting"], family.child)
    gone = referral_cancel(actor=demo["ganting"], referral=record(demo["ganting"], family.spouse), reason="错录")
    ganting = set(referral_list(actor=demo["ganting"]).values_list("number", flat=True))
    assert {mine.number, gone.number} <= ganting
    assert not ({mine.number, gone.number} & set(referral_list(actor=demo["yuxia"]).values_list("number", flat=True)))
    assert mine.number in set(referral_list(actor=demo["reviewer"]).values_list("number", flat=True))
    assert mine.number in set(referral_list(actor=demo["auditor"]).values_list("number", flat=True))
    assert [r.number for r in referral_list(actor=demo["ganting"], q=mine.number)] == [mine.number]
    assert [r.number for r in referral_list(actor=demo["ganting"], q=mine.number.lower())] == [mine.number]
    by_name = {r.number for r in referral_list(actor=demo["ganting"], q="王德福")}
    assert mine.number in by_name and child.number not in by_name
    assert [r.number for r in referral_list(actor=demo["ganting"], q=family.head.id_number)] == [mine.number]
    assert gone.number not in {r.number for r in referral_list(actor=demo["ganting"], status="active")}
    cancelled = {r.number for r in referral_list(actor=demo["ganting"], status="cancelled")}
    assert gone.number in cancelled and mine.number not in cancelled
    with pytest.raises(NotFound):
        referral_get(actor=demo["yuxia"], number=mine.number)
    with pytest.raises(Forbidden):
        referral_list(actor=demo["desk_county"])


# --- the shared rule at the desk --------------------------------------------------------------------

def admit(demo, family, number, serial="ZY-R", admission_date=ADMIT, person=None):
    return admission_register(actor=demo["desk_county"], data=AdmissionInput(
        serial=serial, kind="inpatient", id_number=(person or family.head).id_number,
        admission_date=admission_date, diagnosis_code="I21.9", referral_number=number))[0]


def test_desk_accepts_a_referral_filed_up_to_seven_days_after_admission(demo, family):
    on_day_7 = record(demo["ganting"], family.head, to=COUNTY, approved_on=ADMIT + dt.timedelta(days=FILE_DAYS))
    assert admit(demo, family, on_day_7.number).referral == on_day_7  # the desk used to refuse this
    on_day_8 = record(demo["ganting"], family.head, to=COUNTY, approved_on=ADMIT + dt.timedelta(days=FILE_DAYS + 1))
    with pytest.raises(ValidationFailed) as exc:
        admit(demo, family, on_day_8.number, serial="ZY-R2")
    assert (exc.value.code, exc.value.field) == ("referral_late", "referral_number")
    assert "2026-05-17" in exc.value.message  # the last day to file: 2026-05-10 + 7


def test_desk_refuses_expired_foreign_cancelled_and_elsewhere_referrals(demo, family):
    r = record(demo["ganting"], family.head, to=COUNTY, approved_on=dt.date(2026, 4, 1))  # valid to 2026-05-01
    with pytest.raises(ValidationFailed) as exc:
        admit(demo, family, r.number)
    assert exc.value.code == "expired" and "2026-05-01" in exc.value.message
    ok = record(demo["ganting"], family.head, to=COUNTY)
    with pytest.raises(ValidationFailed) as exc:
        admit(demo, family, ok.number, person=family.spouse)
    assert exc.value.code == "invalid" and "不是刘桂芳的" in exc.value.message
    to_xian = record(demo["ganting"], family.head, to=XIAN)
    with pytest.raises(ValidationFailed) as exc:
        admit(demo, family, to_xian.number)
    assert exc.value.code == "wrong_facility" and "西安市中心医院" in exc.value.message
    referral_cancel(actor=demo["ganting"], referral=ok, reason="错录")
    with pytest.raises(ValidationFailed) as exc:
        admit(demo, family, ok.number)
    assert exc.value.code == "cancelled" and "错录" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        admit(demo, family, "ZZ209900001")
    assert exc.value.code == "not_found"


# --- the shared rule in manual reimbursement --------------------------------------------------------

@pytest.fixture
def centre_today(monkeypatch):
    monkeypatch.setattr(manual, "_today", lambda: dt.date(2026, 6, 1))


def claim(demo, family, number, facility=XIAN, unreferred=False):
    return manual_claim_record(actor=demo["reviewer"], data=ManualClaimInput(
        id_number=family.head.id_number, facility_code=facility, admission_date=ADMIT, discharge_date=DISCHARGE,
        papers_received_on=PAPERS, diagnosis_code="I21.9", referral_number=number, unreferred=unreferred,
        lines=RECEIPTS))[0]


def test_manual_reimbursement_applies_the_same_seven_day_rule(demo, family, centre_today):
    late = record(demo["ganting"], family.head, approved_on=ADMIT + dt.timedelta(days=FILE_DAYS + 1))
    with pytest.raises(ValidationFailed) as exc:
        claim(demo, family, late.number)
    assert exc.value.code == "referral_late" and "2026-05-17" in exc.value.message
    on_time = record(demo["ganting"], family.head, approved_on=ADMIT + dt.timedelta(days=FILE_DAYS))
    c = claim(demo, family, on_time.number)
    assert not c.unreferred and c.referral == on_time and c.episode.referral == on_time
    # referred, prefecture hospital (demo-layered-2020): eligible 3000 + 5000 × 80 % = 7000; deductible 1000;
    # (7000 − 1000) × 60 % = 3600.00
    assert manual_claim_trial(actor=demo["reviewer"], claim=c).fund_total == Decimal("3600.00")


def test_manual_reimbursement_matches_an_unrecorded_hospital_by_name(demo, family, centre_today):
    r = record(demo["ganting"], family.head, to=None, to_name="北京协和医院")
    Facility.objects.create(code="H110000001", name="北京协和医院", level="province", in_county=False)
    assert claim(demo, family, r.number, facility="H110000001").referral == r
    with pytest.raises(ValidationFailed) as exc:  # the same referral does not cover Xi'an
        claim(demo, family, r.number)
    assert exc.value.code == "wrong_facility"


def test_manual_reimbursement_refuses_a_cancelled_referral_even_as_unreferred(demo, family, centre_today):
    r = referral_cancel(actor=demo["ganting"], referral=record(demo["ganting"], family.head), reason="错录")
    with pytest.raises(ValidationFailed) as exc:
        claim(demo, family, r.number, unreferred=True)
    assert exc.value.code == "cancelled"
    assert claim(demo, family, "", unreferred=True).unreferred  # without the number it goes as unreferred


# --- API --------------------------------------------------------------------------------------------

def api(client, method, path, body=None):
    kwargs = {"data": json.dumps(body), "content_type": "application/json"} if body is not None else {}
    response = getattr(client, method)(f"/api/referrals{path}", **kwargs)
    return response.status_code, json.loads(response.content), response.content.decode()


def test_api_records_lists_gets_and_cancels(client, login, family):
    login("ganting")
    status, body, raw = api(client, "post", "", {
        "id_number": family.head.id_number, "from_facility_code": GANTING_HC, "to_facility_code": XIAN,
        "diagnosis_code": "I21.9", "approved_on": "2026-05-09", "reason": "需介入治疗"})
    assert status == 201 and body["person_name"] == "王德福" and "王德福" in raw  # Chinese unescaped
    number = body["number"]
    assert (body["valid_until"], body["to_facility_code"], body["approved_by"]) == ("2026-06-08", XIAN, "ganting")
    status, page, _ = api(client, "get", f"?q={family.head.id_number}")
    assert status == 200 and [i["number"] for i in page["items"]] == [number] and page["total"] == 1
    assert api(client, "get", f"/{number}")[1]["to_name"] == "西安市中心医院"
    status, body, _ = api(client, "post", f"/{number}/cancel", {"reason": ""})
    assert status == 422 and body["field"] == "reason"
    status, body, _ = api(client, "post", f"/{number}/cancel", {"reason": "患者放弃"})
    assert status == 200 and body["cancelled"] and body["cancel_reason"] == "患者放弃"
    assert api(client, "post", f"/{number}/cancel", {"reason": "again"})[0] == 409


def test_api_refusals(client, login, family):
    login("ganting")
    base = {"id_number": family.head.id_number, "to_facility_code": XIAN, "diagnosis_code": "I21.9",
            "approved_on": "2026-05-09"}
    status, body, _ = api(client, "post", "", {**base, "to_facility_code": "NOPE"})
    assert (status, body["field"]) == (422, "to_facility_code")
    status, body, _ = api(client, "post", "", {**base, "valid_until": "2026-05-01"})
    assert (status, body["field"]) == (422, "valid_until")
    number = api(client, "post", "", base)[1]["number"]
    login("yuxia")
    assert api(client, "get", f"/{number}")[0] == 404
    assert api(client, "post", "", base)[1]["field"] == "id_number"
    assert number not in {i["number"] for i in api(client, "get", "?limit=500")[1]["items"]}
    login("desk_county")
    assert api(client, "get", "")[0] == 403


# --- pages ------------------------------------------------------------------------------------------

def test_pages_record_print_and_cancel(client, login, family):
    login("ganting")
    html = client.get("/referrals/").content.decode()
    assert "转诊备案" in html and 'href="/referrals/new/"' in html
    assert 'data-menu="referral_list"' in html
    response = client.post("/referrals/new/", {
        "id_number": family.head.id_number, "from_facility": GANTING_HC, "to_facility": XIAN,
        "diagnosis_code": "I21.9", "approved_on": "2026-05-09", "reason": "需介入"})
    assert response.status_code == 302, response.content.decode()[:2000]
    r = Referral.objects.get(person=family.head)
    assert response["Location"] == f"/referrals/{r.number}/"
    slip = client.get(response["Location"]).content.decode()
    assert "转诊转院审批单" in slip and r.number in slip and "西安市中心医院" in slip and "2026年6月8日" in slip
    assert "急性心肌梗死" in slip and family.certificate.number in slip and 'data-testid="referral-cancel"' in slip
    listed = client.get(f"/referrals/?q={r.number}").content.decode()
    assert f'href="/referrals/{r.number}/"' in listed and "王德福" in listed
    client.post(f"/referrals/{r.number}/", {"action": "cancel", "reason": "患者放弃"})
    r.refresh_from_db()
    assert r.cancelled and "已作废" in client.get(f"/referrals/{r.number}/").content.decode()


def test_the_form_shows_refusals_and_other_townships_see_nothing(client, login, demo, family):
    login("ganting")
    html = client.post("/referrals/new/", {"id_number": family.head.id_number, "to_facility": YUXIA_HC,
                                           "diagnosis_code": "I21.9", "approved_on": "2026-05-09"}).content.decode()
    assert "县内同级或下级就医无需转诊" in html and not Referral.objects.filter(person=family.head).exists()
    r = record(demo["ganting"], family.head)
    login("yuxia")
    assert client.get(f"/referrals/{r.number}/").status_code == 404
    assert r.number not in client.get("/referrals/").content.decode()
    login("desk_county")
    assert client.get("/referrals/").status_code == 403
    assert client.get("/referrals/new/").status_code == 403


# --- demo -------------------------------------------------------------------------------------------

def test_the_demo_has_referrals_recorded_by_their_offices(demo):
    from nrcms.demo.referrals import load_referrals

    ganting = Referral.objects.filter(approved_by__username="ganting", to_facility__code=XIAN).get()
    assert ganting.person.household.region.code.startswith("610125100") and ganting.from_facility.code == GANTING_HC
    assert Referral.objects.filter(approved_by__username="yuxia", to_facility__code=PROVINCE).count() == 1
    assert Referral.objects.filter(approved_by__username="reviewer", to_facility=None,
                                   to_name="空军军医大学西京医院").count() == 1
    assert load_referrals() == []  # a second load writes nothing


def test_an_emergency_admission_gets_its_referral_afterwards_at_the_desk(demo, family, client):
    from nrcms.claims.desk import episode_referral_attach

    episode = admit(demo, family, "")  # admitted first, in an emergency, without a referral
    late = record(demo["ganting"], family.head, to=COUNTY, approved_on=ADMIT + dt.timedelta(days=FILE_DAYS + 1))
    with pytest.raises(ValidationFailed) as exc:
        episode_referral_attach(actor=demo["desk_county"], episode=episode, referral_number=late.number)
    assert exc.value.code == "referral_late" and exc.value.field == "referral_number"
    with pytest.raises(ValidationFailed) as exc:
        episode_referral_attach(actor=demo["desk_county"], episode=episode, referral_number="")
    assert exc.value.field == "referral_number"
    ok = record(demo["ganting"], family.head, to=COUNTY, approved_on=ADMIT + dt.timedelta(days=3))
    client.force_login(demo["desk_county"])
    assert 'data-testid="attach-referral"' in client.get(f"/desk/episodes/{episode.pk}/").content.decode()
    response = client.post(f"/desk/episodes/{episode.pk}/", {"action": "referral", "referral_number": ok.number})
    assert response.status_code == 302
    attached = episode_referral_attach(actor=demo["desk_county"], episode=episode, referral_number=ok.number)
    assert attached.referral == ok  # attaching the same number again changes nothing
    assert AuditEntry.objects.filter(action="episode.referral_attach", object_id=str(episode.pk)).count() == 1
    # another facility's desk cannot touch it; the API answers in the one error format
    with pytest.raises(NotFound):
        episode_referral_attach(actor=demo["desk_ganting"], episode=episode, referral_number=ok.number)
    response = client.post(f"/api/desk/episodes/{episode.serial}/referral", {"referral_number": "ZZ209900001"},
                           content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "referral_number"

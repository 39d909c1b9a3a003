"""Issue #12, complaints and inquiries: the public files a complaint without logging in (tracking code,
rate-limited), the county office registers hotline/visit/letter complaints, assigns, investigates, answers and
closes them within the deadline; overdue ones surface; statistics by kind and outcome; inquiries logged and
counted; the committee and auditors read, on the record, and change nothing."""

import datetime as dt
import io

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from nrcms.accounts.models import AuditEntry
from nrcms.complaints import selectors as sel
from nrcms.complaints import services
from nrcms.complaints.models import Complaint, Inquiry
from nrcms.core.errors import Forbidden, ValidationFailed
from nrcms.web.todo import todo_items

pytestmark = pytest.mark.django_db

FORM = {"kind": "overcharge", "subject": "住院收费与清单不符", "content": "10 月在县医院住院，清单多收 200 元。",
        "complainant_name": "王大山", "complainant_phone": "13812345678", "region_code": "610125100000"}


def test_the_public_files_without_login_and_follows_progress_by_the_code(client, demo):
    response = client.post("/public/complaints/", FORM)
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="tracking-code"' in html
    code = html.split('data-testid="tracking-code">')[1].split("<")[0]
    c = Complaint.objects.get(code=code)
    assert len(code) == 10 and c.channel == "web" and c.created_by is None and c.region.code == "610125100000"
    assert c.deadline == timezone.localdate() + dt.timedelta(days=15)
    entry = AuditEntry.objects.get(action="complaint.create", object_id=str(c.pk))
    assert entry.actor_username in ("", None) or entry.actor is None
    # the lookup: exact code only, any case; progress, and the answer once closed
    page = client.get(f"/public/complaints/track/?code={code.lower()}").content.decode()
    assert "已受理" in page and "住院收费与清单不符" in page and "13812345678" not in page
    assert client.get("/public/complaints/track/?code=ABCDEFGHJK").status_code == 404
    assert client.get("/public/complaints/track/?code=王").status_code == 404
    services.complaint_close(actor=demo["reviewer"], complaint=c, outcome="substantiated",
                             answer="经查属实，已责令医院退还多收费用 200 元。")
    page = client.get(f"/public/complaints/track/?code={code}").content.decode()
    assert "已办结" in page and "已责令医院退还" in page and "属实" in page


def test_the_public_form_refuses_bad_input_naming_the_field(client, demo):
    response = client.post("/public/complaints/", {**FORM, "subject": ""})
    assert response.status_code == 422 and "请填写标题" in response.content.decode()
    response = client.post("/public/complaints/", {**FORM, "complainant_phone": "12ab"})
    assert response.status_code == 422 and "联系电话" in response.content.decode()
    response = client.post("/public/complaints/", {**FORM, "kind": "nonsense"})
    assert response.status_code == 422 and "类别" in response.content.decode()
    assert not Complaint.objects.exists()


def test_the_public_is_rate_limited_per_address(client, demo, settings):
    settings.NRCMS_PUBLIC_COMPLAINTS_PER_HOUR = 2
    for _ in range(2):
        assert client.post("/public/complaints/", FORM).status_code == 200
    refused = client.post("/public/complaints/", FORM)
    assert refused.status_code == 429 and "一小时内最多提交 2 件" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.post("/public/complaints/", FORM).status_code == 200
    assert Complaint.objects.count() == 3


def test_staff_register_assign_investigate_and_close_with_an_audit_trail(client, login, demo):
    login("reviewer")
    received = timezone.localdate() - dt.timedelta(days=3)
    response = client.post("/complaints/new/", {"channel": "letter", "kind": "fraud", "subject": "冒名住院",
                                                "content": "有人冒用我父亲的合作医疗证住院。", "facility_code": "H610125102",
                                                "received_on": received.isoformat()})
    c = Complaint.objects.get(subject="冒名住院")
    assert response.status_code == 302 and response["Location"] == f"/complaints/{c.code}/"
    assert c.deadline == received + dt.timedelta(days=15) and c.facility.code == "H610125102"
    assert client.post(f"/complaints/{c.code}/action/", {"action": "assign", "assignee": "director"}).status_code == 302
    client.post(f"/complaints/{c.code}/action/", {"action": "note", "text": "调取住院病历，核对身份证复印件。"})
    c.refresh_from_db()
    assert c.status == "investigating" and c.assigned_to.username == "director" and c.notes.count() == 1
    client.post(f"/complaints/{c.code}/action/", {"action": "close", "outcome": "partly", "answer": "已追回基金。"})
    c.refresh_from_db()
    assert c.status == "closed" and c.outcome == "partly" and c.closed_by.username == "reviewer"
    actions = list(AuditEntry.objects.filter(object_id=str(c.pk), object_type="complaints.complaint").order_by("seq")
                   .values_list("action", flat=True))
    assert actions == ["complaint.create", "complaint.assign", "complaint.note", "complaint.close"]
    # closed: nothing changes any more
    with pytest.raises(ValidationFailed, match="已办结"):
        services.complaint_note_add(actor=demo["reviewer"], complaint=c, text="补记")
    html = client.get(f"/complaints/{c.code}/").content.decode()
    assert "已追回基金" in html and "部分属实" in html and 'data-testid="close-form"' not in html


def test_a_future_receipt_date_or_a_non_handler_assignee_is_refused(demo):
    with pytest.raises(ValidationFailed) as exc:
        services.complaint_register(actor=demo["reviewer"], channel="hotline", kind="other", subject="x", content="y",
                                    received_on=timezone.localdate() + dt.timedelta(days=1))
    assert exc.value.field == "received_on"
    c = services.complaint_register(actor=demo["reviewer"], channel="hotline", kind="other", subject="x", content="y")
    with pytest.raises(ValidationFailed) as exc:
        services.complaint_assign(actor=demo["reviewer"], complaint=c, assignee=demo["ganting"])
    assert exc.value.field == "assignee"


def test_overdue_complaints_show_in_the_list_and_the_handlers_to_do(client, login, demo):
    old = services.complaint_register(actor=demo["reviewer"], channel="hotline", kind="service", subject="久拖不办",
                                      content="报销一个月没到账", received_on=timezone.localdate() - dt.timedelta(days=20))
    services.complaint_register(actor=demo["reviewer"], channel="visit", kind="service", subject="新的", content="z")
    assert list(Complaint.objects.filter(sel.overdue_q())) == [old]
    todo = {i.key: i.count for i in todo_items(actor=demo["director"])}
    assert todo["complaints-overdue"] == 1 and todo["complaints-open"] == 2
    assert "complaints-overdue" not in {i.key: i for i in todo_items(actor=demo["committee"])}
    login("reviewer")
    html = client.get("/complaints/?overdue=1").content.decode()
    assert "久拖不办" in html and "新的" not in html and 'data-testid="overdue"' in html


def test_statistics_by_kind_outcome_channel_and_timeliness(demo):
    r = demo["reviewer"]
    year = timezone.localdate().year
    a = services.complaint_register(actor=r, channel="hotline", kind="overcharge", subject="a", content="a")
    b = services.complaint_register(actor=r, channel="letter", kind="overcharge", subject="b", content="b")
    services.complaint_register(actor=r, channel="hotline", kind="fraud", subject="c", content="c")
    services.complaint_close(actor=r, complaint=a, outcome="substantiated", answer="属实")
    services.complaint_close(actor=r, complaint=b, outcome="unfounded", answer="不属实")
    Complaint.objects.filter(pk=b.pk).update(deadline=timezone.localdate() - dt.timedelta(days=1))  # answered late
    services.inquiry_log(actor=r, topic="policy", question="住院起付线多少？", answer="乡镇 100 元")
    services.inquiry_log(actor=demo["ganting"], topic="policy", question="门诊怎么报？", answer="门诊统筹 40%")
    s = sel.complaint_stats(actor=r, year=year)
    kinds = {row["kind"]: row for row in s["by_kind"]}
    assert s["total"] == 3 and s["closed"] == 2 and s["on_time"] == 1 and s["late"] == 1
    assert kinds["overcharge"]["substantiated"] == 1 and kinds["overcharge"]["unfounded"] == 1
    assert kinds["fraud"]["open"] == 1 and kinds["fraud"]["total"] == 1
    assert {c["channel"]: c["count"] for c in s["by_channel"]} == {"hotline": 2, "letter": 1}
    assert {i["topic"]: i["count"] for i in s["inquiries"]}["policy"] == 2


def test_the_committee_reads_on_the_record_and_changes_nothing(client, login, demo):
    c = services.complaint_register(actor=demo["reviewer"], channel="hotline", kind="other", subject="监督查阅",
                                    content="内容", complainant_phone="13912345678")
    login("committee")
    html = client.get(f"/complaints/{c.code}/").content.decode()
    assert "监督查阅" in html and "13912345678" not in html and 'data-testid="note-form"' not in html
    assert AuditEntry.objects.filter(action="complaint.view", object_id=str(c.pk), actor_username="committee").exists()
    assert client.post(f"/complaints/{c.code}/action/", {"action": "note", "text": "x"}).status_code == 403
    login("ganting")
    assert client.get("/complaints/").status_code == 403
    with pytest.raises(Forbidden):
        services.complaint_register(actor=demo["ganting"], channel="hotline", kind="other", subject="x", content="y")


def test_inquiries_are_logged_and_read_within_the_jurisdiction(client, login, demo):
    login("ganting")
    response = client.post("/complaints/inquiries/", {"topic": "enrollment", "channel": "visit",
                                                      "question": "外出务工怎么缴费？", "answer": "可由家人代缴"})
    assert response.status_code == 302
    i = Inquiry.objects.get()
    assert i.region.code == "610125100000" and i.answered_by.username == "ganting"
    assert "外出务工怎么缴费" in client.get("/complaints/inquiries/").content.decode()
    response = client.post("/complaints/inquiries/", {"topic": "enrollment", "question": "", "answer": "x"})
    assert response.status_code == 422 and "请填写咨询内容" in response.content.decode()
    login("yuxia")
    assert "外出务工怎么缴费" not in client.get("/complaints/inquiries/").content.decode()
    login("reviewer")
    assert "外出务工怎么缴费" in client.get("/complaints/inquiries/").content.decode()


def test_the_api_public_and_staff(client, login, demo):
    anonymous = Client()
    filed = anonymous.post("/api/public/complaints", {k: v for k, v in FORM.items()}, content_type="application/json")
    assert filed.status_code == 201
    code = filed.json()["code"]
    tracked = anonymous.get(f"/api/public/complaints/{code}").json()
    assert tracked["status"] == "received" and tracked["answer"] == "" and "complainant_phone" not in tracked
    assert anonymous.get("/api/public/complaints/NOSUCHCODE").status_code == 404
    assert anonymous.get("/api/complaints").status_code == 401
    login("reviewer")
    listed = client.get("/api/complaints?kind=overcharge").json()
    assert listed["total"] == 1 and listed["items"][0]["complainant_phone"] == "138****5678"
    assert client.post(f"/api/complaints/{code}/assign", {"assignee": "director"},
                       content_type="application/json").json()["status"] == "investigating"
    closed = client.post(f"/api/complaints/{code}/close", {"outcome": "unfounded", "answer": "收费符合规定"},
                         content_type="application/json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert anonymous.get(f"/api/public/complaints/{code}").json()["answer"] == "收费符合规定"
    made = client.post("/api/inquiries", {"topic": "progress", "question": "报销到账了吗", "answer": "已拨付"},
                       content_type="application/json")
    assert made.status_code == 201 and made.json()["answered_by"] == "reviewer"
    year = timezone.localdate().year
    assert client.get(f"/api/complaints/stats?year={year}").json()["total"] == 1


def test_the_export_is_masked_and_recorded(client, login, demo):
    services.complaint_register(actor=demo["reviewer"], channel="hotline", kind="other", subject="导出",
                                content="x", complainant_phone="13912345678")
    login("reviewer")
    response = client.get("/complaints/?export=xlsx")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200 and body[:2] == b"PK"
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "导出" in cells and "139****5678" in cells and "13912345678" not in cells
    assert AuditEntry.objects.filter(action="export", actor_username="reviewer").exists()

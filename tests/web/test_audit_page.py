"""The audit log as an auditor reads it: Chinese words, the operator's name, search by person and by object,
date range, and an Excel export that is streamed however long it is."""

from __future__ import annotations

import datetime as dt
import tracemalloc
from io import BytesIO

import pytest
from django.http import FileResponse
from django.utils import timezone
from openpyxl import load_workbook

from nrcms.accounts import audit_selectors
from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import AuditEntry
from nrcms.claims.models import Settlement
from nrcms.core.xlsx_stream import xlsx_write_stream

pytestmark = pytest.mark.django_db


def _table(html: str) -> str:
    return html[html.index('data-testid="audit-table"'):]


def _settlement():
    return Settlement.objects.select_related("episode__person__household").order_by("pk").first()


def test_a_settlement_entry_reads_in_chinese_with_the_operators_name(client, login, demo):
    login("auditor")
    s = _settlement()
    html = client.get(f"/audit/?object_type=claims.settlement&object_ref={s.number}").content.decode()
    table = _table(html)
    desk = AuditEntry.objects.get(action="settlement.settle", object_id=str(s.pk)).actor
    assert "即时结报" in table and "结算单" in table and s.number in table
    assert desk.display_name in table and desk.username in table and "定点医疗机构合疗科" in table
    assert "基金支付" in table and "医疗总费用" in table  # field labels, not fund_total / total_cost
    assert "fund_total" not in table and "total_cost" not in table


def test_old_and_new_values_are_shown_with_labels_and_choices_in_chinese(client, login, demo):
    from nrcms.accounts.services import user_set_active

    admin = demo["admin"]
    user_set_active(actor=admin, user=demo["yuxia"], active=False, reason="调离岗位")
    login("auditor")
    table = _table(client.get("/audit/?action=user.deactivate").content.decode())
    assert "停用用户" in table and "原因：调离岗位" in table
    assert "有效" in table and "是 → 否" in table
    assert admin.display_name in table


def test_a_related_row_recorded_by_id_is_shown_by_its_name(client, login, demo):
    desk = demo["desk_county"]
    login("auditor")
    table = _table(client.get("/audit/", {"action": "user.create", "object_ref": "desk_county",
                                          "object_type": "accounts.user"}).content.decode())
    assert f"所属机构</span> {desk.facility}" in table  # the facility's name, not its id
    assert f"所属机构</span> {desk.facility_id}<" not in table


def test_search_by_person_name_or_id_number_finds_the_persons_settlement_and_not_others(client, login):
    login("auditor")
    s = _settlement()
    person = s.episode.person
    other = (Settlement.objects.exclude(episode__person__name__contains=person.name)
             .exclude(episode__household=person.household_id).order_by("pk").first())
    for text in (person.name, person.id_number):
        table = _table(client.get("/audit/", {"person": text}).content.decode())
        assert s.number in table, text
        assert other.number not in table, text
    table = _table(client.get("/audit/", {"person": "查无此人"}).content.decode())
    assert "没有符合条件的记录" in table


def test_search_by_object_type_and_number_or_id(login, demo):
    auditor = demo["auditor"]
    s = _settlement()
    by_number = audit_selectors.audit_list(actor=auditor, object_type="claims.settlement", object_ref=s.number)
    by_id = audit_selectors.audit_list(actor=auditor, object_type="claims.settlement", object_ref=str(s.pk))
    assert by_number.count() >= 1 and set(by_number) == set(by_id)
    assert {e.object_id for e in by_number} == {str(s.pk)}
    household = s.episode.person.household
    entries = audit_selectors.audit_list(actor=auditor, object_type="registry.household", object_ref=household.number)
    assert all(e.object_type == "registry.household" for e in entries)


def test_date_range_filters_and_a_reversed_range_is_explained(client, login, demo):
    auditor = demo["auditor"]
    today = timezone.localdate()
    total = audit_selectors.audit_list(actor=auditor).count()
    assert audit_selectors.audit_list(actor=auditor, date_from=today, date_to=today).count() == total
    assert audit_selectors.audit_list(actor=auditor, date_from=today + dt.timedelta(days=1)).count() == 0
    login("auditor")
    response = client.get("/audit/", {"date_from": "2026-12-31", "date_to": "2026-01-01"})
    assert response.status_code == 400 and "起始日期 2026-12-31 晚于截止日期 2026-01-01" in response.content.decode()


def test_the_filter_lists_offer_chinese_names(client, login):
    login("auditor")
    html = client.get("/audit/").content.decode()
    assert '<option value="household.enroll">参合登记</option>' in html
    assert '<option value="registry.person">人员</option>' in html


def test_export_of_many_rows_is_streamed_and_complete_with_chinese_headers(client, login, demo):
    admin = demo["admin"]
    already = AuditEntry.objects.filter(action="region.update").count()  # the demo's own region changes
    for i in range(1500):
        audit_record(actor=admin, action="region.update", object_type="registry.region", object_id=str(i),
                     object_repr=f"测试区划{i}", before={"name": f"旧名{i}"}, after={"name": f"新名{i}"},
                     reason="批量测试")
    login("auditor")
    response = client.get("/audit/", {"action": "region.update", "export": "xlsx"})
    assert isinstance(response, FileResponse) and response.streaming
    assert "attachment" in response["Content-Disposition"]
    ws = load_workbook(BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    headers = rows[0]
    assert headers[:6] == ("序号", "时间", "操作人账号", "操作人姓名", "角色", "操作")
    assert "变更内容（字段：原值 → 新值）" in headers
    assert len(rows) == 1 + already + 1500
    first = dict(zip(headers, rows[1], strict=True))
    assert first["操作"] == "修改行政区划" and first["对象类型"] == "行政区划"
    assert first["操作人姓名"] == admin.display_name
    assert first["变更内容（字段：原值 → 新值）"] == "名称：旧名1499 → 新名1499"


def test_the_streamed_writer_keeps_memory_flat_whatever_the_row_count():
    """Rows are consumed one at a time from a generator and written out: memory for 20,000 rows stays far
    below what holding them as cells would take (a normal workbook needs tens of megabytes for this)."""
    consumed = 0

    def rows():
        nonlocal consumed
        for i in range(20_000):
            consumed += 1
            yield (i, "2026-11-28 10:00:00", "auditor", "审计员", f"对象{i}", "名称：旧 → 新")

    import tempfile

    with tempfile.TemporaryFile() as f:
        tracemalloc.start()
        written = xlsx_write_stream(f, "审计记录", ["序号", "时间", "账号", "姓名", "对象", "变更"], rows())
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        f.seek(0)
        assert sum(1 for _ in load_workbook(f, read_only=True).active.iter_rows()) == 20_001
    assert written == consumed == 20_000
    assert peak < 12 * 1024 * 1024, peak


def test_the_api_takes_the_same_person_and_object_filters_and_labels_each_entry(client, login):
    login("auditor")
    s = _settlement()
    data = client.get("/api/audit", {"person": s.episode.person.id_number, "object_type": "claims.settlement"}).json()
    assert data["items"] and all(i["object_type_label"] == "结算单" for i in data["items"])
    item = data["items"][0]
    assert item["action_label"] == "即时结报" and item["actor_name"]
    spec = client.get("/api/openapi.json").json()
    names = {p["name"] for p in spec["paths"]["/api/audit"]["get"]["parameters"]}
    assert {"person", "object_ref"} <= names

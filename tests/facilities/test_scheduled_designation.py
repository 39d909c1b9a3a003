"""A designation change dated after today is scheduled: pages show the status in force today with a note, the
desk goes by the date, and a mistaken scheduled change can be withdrawn by the director (kept in history, audited).
Every change is an approved designation request (issue 12)."""

import datetime as dt
import json

import pytest
from designation_flow import designation_change
from django.utils import timezone

from nrcms.accounts.models import AuditEntry
from nrcms.core.errors import Forbidden, ValidationFailed
from nrcms.facilities.models import DesignationChange, Facility
from nrcms.facilities.services import facility_status_on, facility_status_withdraw

pytestmark = pytest.mark.django_db
ZUAN = "H610125103"  # 祖庵镇卫生院
FUTURE = dt.date(2030, 1, 1)


def zuan():
    return Facility.objects.get(code=ZUAN)


def schedule_revocation(demo):
    return designation_change(demo, zuan(), "revoked", FUTURE, "年度考核不合格", today=timezone.localdate(),
                              authority="县卫健局〔2029〕1号")


def test_a_future_revocation_is_scheduled_and_the_pages_show_the_status_in_force_today(client, login, demo):
    login("reviewer")
    schedule_revocation(demo)
    detail = client.get(f"/facilities/{ZUAN}/").content.decode()
    assert '<span data-testid="facility-status">定点</span>' in detail
    assert "已排定：2030-01-01 取消定点" in detail and "已排定，尚未生效" in detail
    listing = client.get("/facilities/?q=祖庵").content.decode()
    row = listing[listing.index(ZUAN):]
    row = row[:row.index("</tr>")]
    assert "<td>定点（建档起生效）<br>" in row and "已排定：2030-01-01 取消定点" in row
    # the desk goes by the date: still designated today, revoked from 2030-01-01
    today = timezone.localdate()
    assert facility_status_on(zuan(), today) == "designated"
    assert facility_status_on(zuan(), FUTURE) == "revoked"
    assert zuan().status == "designated"  # the column holds the status in force when last changed
    data = json.loads(client.get(f"/api/facilities/{ZUAN}").content)
    assert data["status"] == "designated"
    assert [(c["status"], c["effective_date"]) for c in data["scheduled"]] == [("revoked", "2030-01-01")]


def test_the_desks_own_home_shows_the_status_in_force_today(client, login, demo):
    schedule_revocation(demo)
    login("desk_zuan")
    home = client.get("/").content.decode()
    assert "定点（建档起生效）（已排定：2030-01-01 取消定点）" in home


def test_an_earlier_change_is_refused_while_a_scheduled_one_stands_and_says_how_to_correct_it(demo):
    schedule_revocation(demo)
    with pytest.raises(ValidationFailed) as exc:
        designation_change(demo, zuan(), "revoked", timezone.localdate(), "立即取消")
    assert exc.value.field == "effective_date" and "请先撤回该排定变更" in exc.value.message


def test_a_scheduled_change_is_withdrawn_with_a_reason_kept_and_audited_then_today_can_be_recorded(
        client, login, demo):
    schedule_revocation(demo)
    login("director")
    change = DesignationChange.objects.get(facility__code=ZUAN, effective_date=FUTURE)
    # no reason: refused, nothing withdrawn
    html = client.post(f"/facilities/{ZUAN}/", {"action": "withdraw", "change": change.pk, "reason": ""}).content
    assert "撤回未完成：撤回原因：这个字段是必填项。" in html.decode()
    change.refresh_from_db()
    assert change.withdrawn_at is None
    response = client.post(f"/facilities/{ZUAN}/", {"action": "withdraw", "change": change.pk,
                                                     "reason": "生效日期录入错误，应为今日"})
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.withdrawn_at is not None and change.withdrawn_by.username == "director"
    assert facility_status_on(zuan(), FUTURE) == "designated"  # a withdrawn change no longer counts
    entry = AuditEntry.objects.filter(action="facility.status_withdraw").latest("seq")
    assert entry.reason == "生效日期录入错误，应为今日" and entry.before["effective_date"] == "2030-01-01"
    # the history keeps it, marked withdrawn; revoking today is now accepted
    today = timezone.localdate()
    designation_change(demo, zuan(), "revoked", today, "年度考核不合格")
    detail = client.get(f"/facilities/{ZUAN}/").content.decode()
    assert '<span data-testid="facility-status">取消定点</span>' in detail
    assert "已撤回（生效日期录入错误，应为今日" in detail and "<s>2030-01-01</s>" in detail
    assert zuan().designation_history.count() == 2


def test_a_change_in_force_or_already_withdrawn_cannot_be_withdrawn_and_only_the_director_may(demo):
    today = timezone.localdate()
    director = demo["director"]
    in_force = designation_change(demo, zuan(), "suspended", today, "检查")
    with pytest.raises(ValidationFailed) as exc:
        facility_status_withdraw(actor=director, change=in_force, reason="写错了")
    assert exc.value.code == "in_force" and "请登记新的变更" in exc.value.message
    scheduled = designation_change(demo, zuan(), "designated", FUTURE, "整改完成", today=today)
    with pytest.raises(Forbidden):
        facility_status_withdraw(actor=demo["desk_zuan"], change=scheduled, reason="不同意")
    with pytest.raises(Forbidden):  # the county office asked for it; undoing the approval is the director's
        facility_status_withdraw(actor=demo["reviewer"], change=scheduled, reason="不同意")
    with pytest.raises(ValidationFailed) as exc:
        facility_status_withdraw(actor=director, change=scheduled, reason="  ")
    assert exc.value.field == "reason"
    facility_status_withdraw(actor=director, change=scheduled, reason="整改未验收")
    with pytest.raises(ValidationFailed) as exc:
        facility_status_withdraw(actor=director, change=scheduled, reason="再撤一次")
    assert exc.value.code == "already_withdrawn"
    # on the day a scheduled change takes effect it is in force and can no longer be withdrawn
    later = designation_change(demo, zuan(), "designated", FUTURE, "整改完成", today=today)
    with pytest.raises(ValidationFailed):
        facility_status_withdraw(actor=director, change=later, reason="迟了", today=FUTURE)


def test_withdraw_through_the_api(client, login, demo):
    schedule_revocation(demo)
    login("reviewer")  # the county office cannot undo the director's approval
    data = json.loads(client.get(f"/api/facilities/{ZUAN}").content)
    assert data["status"] == "designated"
    change_id = data["scheduled"][0]["id"]
    response = client.post(f"/api/facilities/{ZUAN}/status/{change_id}/withdraw", {"reason": "日期有误"},
                           content_type="application/json")
    assert response.status_code == 403
    login("director")
    response = client.post(f"/api/facilities/{ZUAN}/status/{change_id}/withdraw", {"reason": ""},
                           content_type="application/json")
    assert response.status_code == 422 and json.loads(response.content)["field"] == "reason"
    response = client.post(f"/api/facilities/{ZUAN}/status/{change_id}/withdraw", {"reason": "日期有误"},
                           content_type="application/json")
    data = json.loads(response.content)
    assert response.status_code == 200 and data["status"] == "designated" and data["scheduled"] == []
    # a change of another facility is not found under this one
    response = client.post(f"/api/facilities/H610125102/status/{change_id}/withdraw", {"reason": "x"},
                           content_type="application/json")
    assert response.status_code == 404 and json.loads(response.content)["code"] == "not_found"
    login("desk_zuan")
    response = client.post(f"/api/facilities/{ZUAN}/status/{change_id}/withdraw", {"reason": "x"},
                           content_type="application/json")
    assert response.status_code == 403

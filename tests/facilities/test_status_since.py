"""A facility's status shows the date it began (定点（2026-06-01 起生效）), not today's date."""

import datetime as dt

import pytest
from designation_flow import designation_change
from django.utils import timezone

from nrcms.facilities.models import Facility
from nrcms.facilities.services import facilities_with_status, status_change_record

pytestmark = pytest.mark.django_db
ZUAN = "H610125103"  # 祖庵镇卫生院, whose desk user is desk_zuan


def changes(demo):
    facility = Facility.objects.get(code=ZUAN)
    designation_change(demo, facility, "suspended", dt.date(2026, 3, 1), "飞行检查发现串换药品")
    designation_change(demo, facility, "designated", dt.date(2026, 6, 1), "整改合格，恢复定点")
    # the same status again (a row recorded before every change went through a request): still designated since
    # 06-01
    status_change_record(actor=None, facility=facility, status="designated", effective_date=dt.date(2026, 7, 1),
                         reason="换发定点协议", today=dt.date(2026, 7, 1))
    return facility


def test_the_status_since_is_the_day_the_status_in_force_began(demo):
    facility = changes(demo)
    on_april = facilities_with_status([facility], on=dt.date(2026, 4, 15))[0]
    assert (on_april.status_today, on_april.status_since) == ("suspended", dt.date(2026, 3, 1))
    assert on_april.status_today_text == "暂停（2026-03-01 起生效）"
    later = facilities_with_status([facility], on=dt.date(2026, 8, 1))[0]
    assert (later.status_today, later.status_today_text) == ("designated", "定点（2026-06-01 起生效）")
    unchanged = facilities_with_status([Facility.objects.get(code="H610125001")])[0]
    assert unchanged.status_since is None and unchanged.status_today_text == "定点（建档起生效）"


def test_facility_page_desk_home_list_and_api_show_the_start_date_not_today(demo, client, login):
    changes(demo)
    today = f"{timezone.localdate():%Y-%m-%d}"
    login("reviewer")
    detail = client.get(f"/facilities/{ZUAN}/").content.decode()
    assert '<span data-testid="facility-status-since">（2026-06-01 起生效）</span>' in detail
    assert f"{today} 生效中" not in detail
    listing = client.get("/facilities/?q=祖庵").content.decode()
    assert "<td>定点（2026-06-01 起生效）</td>" in listing
    assert client.get(f"/api/facilities/{ZUAN}").json()["status_since"] == "2026-06-01"
    login("desk_zuan")
    home = client.get("/").content.decode()
    assert '<td data-testid="home-facility-status">定点（2026-06-01 起生效）</td>' in home

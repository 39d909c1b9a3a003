"""Civil affairs opens the 90 % monitor for March 2026 in 扶贫乡, follows the patient below target to the one
file per patient, records a follow-up there and sees it listed; the file shows the masked ID, the category,
the settlement with its layers and the year's ratio against 90 %."""

import shutil
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/work/wt/shots/h19")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "poverty"))


@pytest.fixture
def poor(demo):
    from poverty_county import build

    return build(demo)


def test_civil_affairs_reads_and_adds_to_a_patients_file(page, live_server, browser_login, shot, poor):
    browser_login("civil")
    page.click("[data-menu=poverty_monitor]")
    form = page.get_by_test_id("poverty-filters")
    form.locator("input[name=year]").fill("2026")
    form.locator("select[name=month]").select_option("3")
    form.locator("select[name=region]").select_option("610125198000")
    form.get_by_role("button", name="查看").click()
    page.wait_for_url("**/poverty/monitor/?*month=3*")
    total = page.get_by_test_id("monitor-regions").locator("tr", has_text="扶贫乡合计").inner_text()
    assert "72.90" in total and "10,000.00" in total
    monitor_shot = shot(page, "poverty-monitor")
    below = page.get_by_test_id("monitor-below")
    assert "政策范围外费用占比 27.14%" in below.inner_text()
    below.get_by_role("link", name="扶一").click()
    page.wait_for_url(f"**/poverty/patients/{poor['P1'].pk}/")
    shown_id = page.get_by_test_id("patient-id").inner_text()
    assert "*" in shown_id and shown_id != poor["P1"].id_number
    assert "建档立卡贫困户" in page.get_by_test_id("patient-categories").inner_text()
    settlements = page.get_by_test_id("patient-settlements").inner_text()
    assert "7,000.00" in settlements and "1,140.00" in settlements and "4,590.00" in settlements
    assert "65.57（未达标）" in page.get_by_test_id("patient-years").inner_text()
    assert page.get_by_test_id("patient-contracts").inner_text().strip().endswith("—")
    form = page.get_by_test_id("follow-up-form")
    form.locator("select[name=kind]").select_option("phone")
    form.locator("textarea[name=note]").fill("出院后恢复良好，按时服药")
    form.get_by_role("button", name="保存随访").click()
    page.wait_for_url(f"**/poverty/patients/{poor['P1'].pk}/")
    assert "出院后恢复良好，按时服药" in page.get_by_test_id("patient-follow-ups").inner_text()
    file_shot = shot(page, "poverty-patient-file")
    if SHOTS.exists():
        shutil.copy(monitor_shot, SHOTS / monitor_shot.name)
        shutil.copy(file_shot, SHOTS / file_shot.name)

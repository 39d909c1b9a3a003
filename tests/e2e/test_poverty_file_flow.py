"""Civil affairs opens the 90 % monitor for March 2026 in 扶贫乡, follows the patient below target to the one
file per patient, records a follow-up there and sees it listed; the file shows the masked ID, the category,
the settlement with its layers and the year's ratio against 90 %."""

import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

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
    shot(page, "poverty-monitor")
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
    shot(page, "poverty-patient-file")


def test_civil_affairs_imports_the_poverty_office_list(page, live_server, browser_login, shot, tmp_path, demo):
    import datetime as dt

    from nrcms.core.export import xlsx_bytes
    from nrcms.core.idnumber import make_id_number
    from nrcms.registry.models import Person

    person = Person.objects.filter(household__region__code__startswith="610125100", categories__isnull=True).first()
    stranger = make_id_number("610125", dt.date(1970, 1, 1), 499, "F")
    path = tmp_path / "扶贫办名单.xlsx"
    path.write_bytes(xlsx_bytes("名单", ["姓名", "证件号码", "贫困户状态", "纳入日期", "脱贫日期"], [
        [person.name, person.id_number, "未脱贫", "2026-01-01", ""], ["外人", stranger, "未脱贫", "2026-01-01", ""],
        ["错状态", person.id_number[:6] + "19990101001X", "脱贫中", "2026-01-01", ""]]))
    browser_login("civil")
    page.click("[data-menu=poverty_imports]")
    form = page.get_by_test_id("poverty-import-form")
    form.locator("input[name=as_of]").fill("2026-06-30")
    form.locator("input[name=file]").set_input_files(str(path))
    form.get_by_role("button", name="导入").click()
    page.wait_for_url("**/poverty/imports/*/")
    expect(page.get_by_test_id("changed")).to_have_text("1")
    expect(page.get_by_test_id("unmatched")).to_have_text("1")
    expect(page.get_by_test_id("invalid")).to_have_text("1")
    assert stranger not in page.content()
    shot(page, "poverty-import-report")

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_auditor_searches_a_persons_trail_in_chinese_and_exports_it(page, live_server, browser_login, shot):
    from nrcms.claims.models import Settlement

    s = Settlement.objects.select_related("episode__person").order_by("pk").first()
    person = s.episode.person
    browser_login("auditor")
    assert page.locator("select[name=language] option").all_inner_texts() == ["简体中文", "English"]
    page.click("[data-menu=audit_list]")
    page.get_by_test_id("filter-person").fill(person.id_number)
    page.click("button:has-text('查询')")
    table = page.get_by_test_id("audit-table").inner_text()
    assert s.number in table and "即时结报" in table and "结算单" in table and "就诊登记" in table
    assert "settlement.settle" in table  # the code, small, under the Chinese name
    shot(page, "audit-person-search")
    with page.expect_download() as download:
        page.get_by_test_id("audit-export").click()
    assert download.value.suggested_filename == "审计记录.xlsx"
    path = Path(download.value.path())
    with path.open("rb") as f:
        rows = list(load_workbook(f, read_only=True).active.iter_rows(values_only=True))
    assert rows[0][5] == "操作" and len(rows) >= 3
    assert {r[5] for r in rows[1:]} >= {"即时结报", "就诊登记"}
    artifacts = Path(__file__).resolve().parents[2] / "test-artifacts"
    shutil.copy(path, artifacts / "audit-person-export.xlsx")

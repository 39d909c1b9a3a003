"""Staff pages (preview, posters A4/A3, Excel, publish) and the public page and API without login."""

import io
import re
import subprocess

import pytest
from openpyxl import load_workbook

from nrcms.accounts.models import AuditEntry
from nrcms.disclosure.models import Publication

pytestmark = pytest.mark.django_db
URL = "/disclosure/?month=2026-03&region=610125199000"
FORBIDDEN_WORDS = ("I63.9", "I21.9", "急性心肌梗死", "脑梗死", "贫困", "registered_poor", "兜底", "医疗救助", "低保",
                   "五保")


def _pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "poster.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _media_boxes(content: bytes, tmp_path) -> set[tuple[int, int]]:
    """Every page's MediaBox in points, as poppler's pdfinfo reads it."""
    path = tmp_path / "box.pdf"
    path.write_bytes(content)
    info = subprocess.run(["pdfinfo", "-box", "-f", "1", "-l", "999", str(path)], capture_output=True, text=True,
                          check=True).stdout
    boxes = re.findall(r"Page\s+\d+\s+MediaBox:\s+0\.00\s+0\.00\s+([\d.]+)\s+([\d.]+)", info)
    return {(round(float(w)), round(float(h))) for w, h in boxes}


def test_preview_shows_the_masked_list_the_fund_and_no_diagnosis(client, login, small):
    login("director")
    page = client.get(URL).content.decode()
    assert "试＊" in page and "6101**********" in page and "试甲" not in page
    assert small.persons["A"].id_number not in page
    assert 'data-testid="fund-table"' in page and "1,520.00" in page and "14,005.00" in page
    assert "未发布" in page and 'data-testid="publish-form"' in page
    for word in ("I63.9", "急性心肌梗死", "registered_poor", "1,140.00"):
        assert word not in page


def test_posters_are_a4_and_a3_with_embedded_cjk_fonts_and_nothing_private(client, login, small, tmp_path):
    login("ganting")  # 甘亭镇: another township's list is refused
    assert client.get(URL + "&format=pdf").status_code == 404
    client.force_login(small.clerk)
    a4 = client.get(URL + "&format=pdf&size=a4")
    assert a4.status_code == 200 and a4["Content-Type"] == "application/pdf"
    a3 = client.get(URL + "&format=pdf&size=a3").content
    assert _media_boxes(a4.content, tmp_path) == {(595, 842)} and _media_boxes(a3, tmp_path) == {(842, 1191)}
    text = _pdf_text(a4.content, tmp_path)
    assert "试验乡甲村 2026 年 3 月新农合补偿公示" in text and "试验乡乙村 2026 年 3 月新农合补偿公示" in text
    assert "试＊" in text and "3,450.00" in text and "基金收支公示" in text and "第1页" in text.replace(" ", "")
    assert "试甲" not in text and small.persons["C"].id_number not in text
    assert not [w for w in FORBIDDEN_WORDS if w in text]
    path = tmp_path / "a3.pdf"
    path.write_bytes(a3)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # the "emb" column
    assert any("CJK" in line for line in fonts)
    assert AuditEntry.objects.filter(action="export", actor__username="shiyan").count() == 2


def test_a_long_list_repeats_the_header_on_every_poster_page(small, tmp_path):
    from nrcms.disclosure.posters import Section, disclosure_build, disclosure_pdf
    from nrcms.disclosure.selectors import month_of
    from nrcms.registry.models import Region

    start, end = month_of("2026-03")
    d = disclosure_build(region=Region.objects.get(code="610125199201"), start=start, end=end)
    d.sections = [Section(d.sections[0].title, "甲村", d.sections[0].rows * 30)]  # 90 rows
    text = _pdf_text(disclosure_pdf(d, size="a4"), tmp_path)
    pages = text.split("\f")[:-1]
    assert len(pages) >= 2
    assert all("新农合补偿" in p and "身份证号" in p and "甲村 2026 年 3 月新农合补偿公示" in p for p in pages)
    assert f"共{len(pages)}页" in pages[-1].replace(" ", "")


def test_excel_lists_the_masked_rows_and_is_audited(client, login, small):
    login("director")
    response = client.get(URL + "&format=xlsx")
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.values)
    assert rows[0][:4] == ("序号", "村", "姓名", "身份证号") and len(rows) == 6
    assert rows[1][2] == "试＊" and rows[1][9] == 3450 and ws.cell(row=2, column=10).number_format == "#,##0.00"
    assert AuditEntry.objects.filter(action="export", object_repr__contains="试验乡").exists()


def test_publishing_is_recorded_audited_and_once(client, login, small):
    client.force_login(small.clerk)
    response = client.post("/disclosure/publish/", {"month": "2026-03", "region": "610125199000"})
    assert response.status_code == 302
    pub = Publication.objects.get()
    assert (pub.region.code, pub.patients, str(pub.reimbursed), pub.published_by.username) == (
        "610125199000", 5, "14005.00", "shiyan")
    entry = AuditEntry.objects.get(action="disclosure.publish")
    assert entry.after["month"] == "2026-03" and entry.region_code == "610125199000"
    again = client.post("/disclosure/publish/", {"month": "2026-03", "region": "610125199000"})
    assert again.status_code == 409 and "不能重复发布" in again.content.decode()
    refused = client.post("/disclosure/publish/", {"month": "2026-03", "region": "610125100000"})
    assert refused.status_code == 404  # 甘亭镇 is not the clerk's
    future = client.post("/disclosure/publish/", {"month": "2099-01", "region": "610125199000"})
    assert future.status_code == 400 and "尚未结束" in future.content.decode()
    login("donghan")  # a village clerk prints, never publishes
    assert client.post("/disclosure/publish/", {"month": "2026-04"}).status_code == 403


def test_the_public_page_shows_only_published_months_without_login(client, small):
    village = "/public/?township=610125199000&village=610125199201"
    assert "暂无已发布的公示" in client.get("/public/").content.decode()
    hidden = client.get(village + "&month=2026-03")
    assert hidden.status_code == 404 and "尚未发布" in hidden.content.decode()
    from nrcms.disclosure.selectors import month_of
    from nrcms.disclosure.services import disclosure_publish, publish_region

    disclosure_publish(actor=None, start=month_of("2026-03")[0], end=month_of("2026-03")[1],
                       region=publish_region(None, "610125199000"), via="测试")
    page = client.get(village + "&month=2026-03")
    body = page.content.decode()
    assert page.status_code == 200 and "试验乡甲村 2026 年 3 月新农合补偿公示" in body
    assert "试＊" in body and "6101**********" in body and "试甲" not in body and "3,450.00" in body
    assert not [w for w in (*FORBIDDEN_WORDS, small.persons["A"].id_number) if w in body]
    assert "script-src" in page["Content-Security-Policy"]
    assert "2026-04" not in client.get(village).content.decode()  # April is not published
    assert client.get(village + "&month=2026-04").status_code == 404


def test_the_public_api_lists_a_published_village_month(client, small):
    from nrcms.disclosure.selectors import month_of
    from nrcms.disclosure.services import disclosure_publish, publish_region

    assert client.get("/api/public/disclosures/townships").json() == []
    disclosure_publish(actor=None, start=month_of("2026-03")[0], end=month_of("2026-03")[1],
                       region=publish_region(None, "610125199000"))
    assert {"code": "610125199000", "name": "试验乡"} in client.get("/api/public/disclosures/townships").json()
    assert client.get("/api/public/disclosures/months?village=610125199202").json() == ["2026-03"]
    data = client.get("/api/public/disclosures?village=610125199202&month=2026-03").json()
    assert data["village"] == "乙村" and data["page"]["total"] == 2 and data["fund"]["contributions"] == "1520.00"
    assert [(i["name"], i["reimbursed"]) for i in data["items"]] == [("试＊", "3600.00"), ("试＊", "3450.00")]
    assert set(data["items"][0]) == {"name", "id_number", "village", "hospital", "kind", "admission_date",
                                     "discharge_date", "total_cost", "reimbursed", "correction"}
    missing = client.get("/api/public/disclosures?village=610125199202&month=2026-04")
    assert missing.status_code == 404 and missing.json()["code"] == "not_published"


def test_the_public_page_and_api_refuse_the_request_beyond_the_limit(client, small, settings):
    settings.NRCMS_PUBLIC_PER_MINUTE = 3
    assert [client.get("/public/").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/public/")
    assert refused.status_code == 429 and "访问过于频繁" in refused.content.decode()
    assert int(refused["Retry-After"]) >= 1
    api = client.get("/api/public/disclosures/townships")
    assert api.status_code == 429 and api.json()["code"] == "rate_limited" and "每分钟最多 3 次" in api.json()["message"]
    other = client.get("/public/", REMOTE_ADDR="10.0.0.9")  # each address has its own count
    assert other.status_code == 200


def test_the_command_publishes_and_writes_posters(small, tmp_path):
    from django.core.management import call_command

    call_command("disclosure", "publish", "--month", "2026-03", "--township", "610125199000", "--user", "shiyan")
    assert Publication.objects.get().published_by.username == "shiyan"
    call_command("disclosure", "posters", "--month", "2026-03", "--township", "610125199000", "--out",
                 str(tmp_path), "--size", "a4")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["新农合基金收支与大额补偿公示_试验乡_2026-03_A4.pdf", "新农合补偿公示_乙村_2026-03_A4.pdf",
                     "新农合补偿公示_甲村_2026-03_A4.pdf"]


def test_the_home_page_reminds_a_publisher_of_last_months_disclosure(small):
    import datetime as dt

    from nrcms.disclosure.selectors import month_of
    from nrcms.disclosure.services import disclosure_publish
    from nrcms.web.todo import todo_items

    today = dt.date(2026, 4, 10)

    def item():
        return next(i for i in todo_items(actor=small.clerk, today=today) if i.key == "disclosure-unpublished")

    assert (item().count, item().label, item().url) == (1, "2026-03 补偿公示未发布", "/disclosure/?month=2026-03")
    start, end = month_of("2026-03")
    disclosure_publish(actor=small.clerk, start=start, end=end, region=small.clerk.region, today=today)
    assert item().count == 0

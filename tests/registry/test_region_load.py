"""Issue #9: a county's division list (统计用区划代码) loaded from Excel/CSV, validated, idempotent, audited."""

import io
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from nrcms.accounts.models import AuditEntry
from nrcms.core.errors import Forbidden, ValidationFailed
from nrcms.registry.models import Region
from nrcms.registry.region_load import DivisionRow, code_problem, level_of, read_division_file, regions_load

pytestmark = pytest.mark.django_db
DEMO_CSV = Path(__file__).resolve().parents[2] / "nrcms" / "demo" / "data" / "county_divisions.csv"
HEADER = "统计用区划代码,名称,城乡分类代码\n"


def load_csv(text: str, actor=None, **kwargs):
    rows = read_division_file((HEADER + text).encode("utf-8"), "list.csv")
    return regions_load(actor=actor, rows=rows, file_name="list.csv", **kwargs)


def test_the_level_comes_from_the_code_structure():
    assert level_of("610125000000") == "county"
    assert level_of("610125100000") == "township"
    assert level_of("610125100201") == "village"


@pytest.mark.parametrize("code,words", [
    ("61012510020", "12 位数字"),
    ("6101251002O1", "12 位数字"),
    ("610100000000", "地级代码"),
    ("610125000201", "乡级段"),
    ("610125700000", "超出编码规则"),
    ("610125100801", "超出编码规则"),
])
def test_malformed_codes_are_explained(code, words):
    assert words in code_problem(code)


def test_the_demo_loads_its_regions_from_the_shipped_csv(demo):
    codes = {r.code for r in read_division_file(DEMO_CSV.read_bytes(), DEMO_CSV.name)}
    in_db = set(Region.objects.exclude(level="group").values_list("code", flat=True))
    assert codes == in_db and len(codes) == 14
    assert AuditEntry.objects.filter(action="region.create", authority="演示数据").exists()


def test_loading_the_same_file_twice_changes_nothing(demo):
    before = (Region.objects.count(), AuditEntry.objects.count())
    report = regions_load(actor=demo["admin"], rows=read_division_file(DEMO_CSV.read_bytes(), DEMO_CSV.name))
    assert not report.added and not report.renamed and not report.refused and report.unchanged == 14
    assert (Region.objects.count(), AuditEntry.objects.count()) == before
    assert Region.objects.get(code="610125100201").agricultural_population == 2210  # not in the list: kept


def test_a_renamed_village_is_updated_and_audited_and_a_new_one_added(demo):
    report = load_csv("610125100203,南关社区,111\n610125100204,新建村,220\n", actor=demo["admin"],
                      authority="县政府〔2026〕12号")
    assert report.renamed == [{"row": 2, "code": "610125100203", "old": "南关村", "new": "南关社区"}]
    assert [a["code"] for a in report.added] == ["610125100204"]
    assert Region.objects.get(code="610125100204").parent.code == "610125100000"
    entry = AuditEntry.objects.filter(action="region.update").latest("seq")
    assert entry.before["name"] == "南关村" and entry.after["name"] == "南关社区"
    assert entry.actor_username == "admin" and entry.authority == "县政府〔2026〕12号"
    assert AuditEntry.objects.filter(action="region.load").latest("seq").after["added"] == 1
    # other villages of the county, absent from this file, are reported and kept
    assert "610125101201" in {d["code"] for d in report.not_in_file}
    assert Region.objects.filter(code="610125101201").exists()


def test_refusals_name_the_row_and_the_rule(demo):
    report = load_csv(
        "610125104000,庞光镇,\n"      # a new township: accepted
        "610125104201,庞光村,220\n"   # its village: parent in the file
        "610125105201,孤村,220\n"     # parent township neither in the file nor the database
        "610125104202,,220\n"         # no name
        "610125104201,庞光村,220\n"   # duplicate
        "610126100000,别县镇,\n"      # another county
        "610125104203,某村,999\n"     # bad urban-rural class
        "6101251042,短码,\n",         # not 12 digits
        actor=demo["admin"])
    refused = {d["row"]: d["message"] for d in report.refused}
    assert [a["code"] for a in report.added] == ["610125104000", "610125104201"]
    assert "上级 610125105000 在文件和系统中都不存在" in refused[4]
    assert "名称为空" in refused[5]
    assert "与第 3 行重复" in refused[6]
    assert "不属于本统筹区" in refused[7]
    assert "城乡分类代码“999”无效" in refused[8]
    assert "12 位数字" in refused[9]
    assert not Region.objects.filter(code="610125105201").exists()


def test_a_village_under_a_refused_township_says_why(demo):
    report = load_csv("610125106000,,\n610125106201,某村,220\n", actor=demo["admin"])
    messages = [d["message"] for d in report.refused]
    assert "名称为空" in messages[0] and "第 2 行未能载入" in messages[1]


def test_a_dry_run_reports_but_writes_nothing(demo):
    before = (Region.objects.count(), AuditEntry.objects.count())
    report = load_csv("610125107000,试点镇,\n610125107201,试点村,220\n", actor=demo["admin"], dry_run=True)
    assert len(report.added) == 2 and report.dry_run and "未写入" in report.summary()
    assert (Region.objects.count(), AuditEntry.objects.count()) == before


def test_an_excel_file_with_codes_as_numbers_loads(demo):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["统计用区划代码", "名称", "城乡分类代码"])
    ws.append([610125108000, "演示乡", None])
    ws.append([610125108201, "演示村", 220])
    buf = io.BytesIO()
    wb.save(buf)
    report = regions_load(actor=demo["admin"], rows=read_division_file(buf.getvalue(), "list.xlsx"))
    assert [a["name"] for a in report.added] == ["演示乡", "演示村"] and not report.refused


def test_a_gb18030_csv_from_excel_on_windows_reads(demo):
    content = (HEADER + "610125100201,东韩村,220\n").encode("gb18030")
    assert read_division_file(content, "list.csv") == [DivisionRow(2, "610125100201", "东韩村", "220")]


def test_a_file_without_the_code_column_is_refused(demo):
    with pytest.raises(ValidationFailed) as exc:
        read_division_file("代码名,名称\n1,2\n".encode(), "list.csv")
    assert "统计用区划代码" in exc.value.message and exc.value.field == "file"


def test_only_the_admin_loads(demo):
    with pytest.raises(Forbidden):
        load_csv("610125100201,东韩村,220\n", actor=demo["ganting"])


def test_cli_loads_with_a_report_and_fails_on_refused_rows(demo, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(HEADER + "610125100202,西街社区,111\n", encoding="utf-8")
    out = io.StringIO()
    call_command("regions_load", str(path), stdout=out, stderr=io.StringIO())
    assert "改名  第 2 行 610125100202 西街村 → 西街社区" in out.getvalue()
    assert Region.objects.get(code="610125100202").name == "西街社区"
    path.write_text(HEADER + "610125100202,,111\n", encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 行被拒绝"):
        call_command("regions_load", str(path), stdout=out, stderr=io.StringIO())
    assert "名称为空" in out.getvalue()


def test_the_page_loads_a_file_and_shows_the_report(client, login, demo):
    login("admin")
    assert client.get("/registry/regions/load/").status_code == 200
    upload = io.BytesIO((HEADER + "610125100201,东韩社区,111\n610125199201,错村,220\n").encode())
    upload.name = "户县区划.csv"
    response = client.post("/registry/regions/load/", {"file": upload, "authority": "统计局 2026"})
    html = response.content.decode()
    assert response.status_code == 200 and "改名 1" in html and "拒绝 1" in html and "东韩社区" in html
    assert "在文件和系统中都不存在" in html
    login("ganting")
    assert client.get("/registry/regions/load/").status_code == 403


def test_the_api_loads_a_file(client, login, demo):
    login("admin")
    upload = io.BytesIO((HEADER + "610125100201,东韩村,220\n").encode())
    upload.name = "list.csv"
    response = client.post("/api/regions/load", {"file": upload, "dry_run": "true"})
    assert response.status_code == 200, response.content.decode()[:3000]
    data = response.json()
    assert response.status_code == 200 and data["unchanged"] == 1 and data["dry_run"] is True
    bad = io.BytesIO(b"x")
    bad.name = "list.pdf"
    response = client.post("/api/regions/load", {"file": bad})
    assert response.status_code == 422 and response.json()["field"] == "file"

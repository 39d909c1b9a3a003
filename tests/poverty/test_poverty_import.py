"""Importing the poverty office's list: matching by ID number, the dated category changes (through the
registry's services, audited), the report of unmatched and invalid rows, and idempotence."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from python_calamine import CalamineWorkbook

from nrcms.accounts.models import AuditEntry
from nrcms.core.errors import Forbidden, ValidationFailed
from nrcms.core.export import xlsx_bytes
from nrcms.core.idnumber import make_id_number
from nrcms.poverty.importer import poverty_import
from nrcms.poverty.models import PovertyImport
from nrcms.registry.models import Person, PersonCategory

AS_OF = dt.date(2026, 6, 30)
HEADERS = ["序号", "行政村", "户编号", "姓名", "证件号码", "贫困户状态", "识别日期", "脱贫日期"]


def _people(demo):
    """Four demo residents of 甘亭镇 given the states the list will find them in."""
    people = list(Person.objects.filter(household__region__code__startswith="610125100",
                                        categories__isnull=True).order_by("id")[:4])
    a, b, c, d = people
    PersonCategory.objects.create(person=b, category="registered_poor", valid_from=dt.date(2020, 1, 1))
    PersonCategory.objects.create(person=d, category="registered_poor", valid_from=dt.date(2025, 1, 1))
    return a, b, c, d


def _list(a, b, c, d) -> list[list]:
    stranger = make_id_number("610125", dt.date(1970, 1, 1), 499, "F")
    bad = a.id_number[:17] + ("0" if a.id_number[17] != "0" else "1")
    return [
        [1, "东韩村", "H1", a.name, a.id_number, "未脱贫", "2026-01-01", ""],
        [2, "东韩村", "H2", b.name, b.id_number, "已脱贫", "2020-01-01", "2026-05-31"],
        [3, "东韩村", "H3", c.name, c.id_number, "监测户", "2026-04-01", ""],
        [4, "东韩村", "H4", d.name, d.id_number, "未脱贫", "2025-01-01", ""],
        [5, "东韩村", "H5", "外人", stranger, "未脱贫", "2026-01-01", ""],
        [6, "东韩村", "H6", "错号", bad, "未脱贫", "2026-01-01", ""],
        [7, "东韩村", "H7", "错状态", c.id_number[:-1] + c.id_number[-1], "脱贫中", "2026-01-01", ""],
        [8, "东韩村", "H8", "缺日期", d.id_number, "已脱贫", "2025-01-01", ""],
        [9, "东韩村", "H9", "晚日期", a.id_number, "未脱贫", "2026-07-01", ""],
    ]


def _xlsx(rows) -> bytes:
    return xlsx_bytes("名单", HEADERS, rows)


def test_a_person_listed_twice_is_refused_in_both_rows(demo):
    a, b, c, d = _people(demo)
    rows = _list(a, b, c, d)[:2] + [[3, "东韩村", "H1", a.name, a.id_number, "监测户", "2026-02-01", ""]]
    job, new = poverty_import(actor=demo["civil"], file_name="名单.xlsx", content=_xlsx(rows), as_of=AS_OF)
    assert (job.rows_total, job.matched, job.changed, job.unmatched, job.invalid) == (3, 1, 1, 0, 2)
    assert [(p["row"], p["reason"]) for p in job.problems] == [
        (2, "同一证件号码在名单中重复（又见第 4 行）"), (4, "同一证件号码在名单中重复（又见第 2 行）")]
    assert not PersonCategory.objects.filter(person=a).exists()


def test_import_changes_categories_with_their_dates(demo):
    a, b, c, d = _people(demo)
    civil = demo["civil"]
    stranger = make_id_number("610125", dt.date(1970, 1, 1), 499, "F")
    rows = [r for r in _list(a, b, c, d)[:4]] + [
        [5, "东韩村", "H5", "外人", stranger, "未脱贫", "2026-01-01", ""],
        [6, "东韩村", "H6", "错号", "61012519700101123", "未脱贫", "2026-01-01", ""],
        [7, "东韩村", "H7", "错状态", make_id_number("610125", dt.date(1971, 1, 1), 498, "M"), "脱贫中", "2026-01-01", ""],
        [8, "东韩村", "H8", "缺日期", make_id_number("610125", dt.date(1972, 1, 1), 497, "F"), "已脱贫", "2025-01-01", ""],
        [9, "东韩村", "H9", "晚日期", make_id_number("610125", dt.date(1973, 1, 1), 496, "M"), "未脱贫", "2026-07-01", ""],
    ]
    content = _xlsx(rows)  # one workbook: a second xlsx_bytes call may stamp another time into it
    job, new = poverty_import(actor=civil, file_name="名单.xlsx", content=content, as_of=AS_OF)
    assert (job.rows_total, job.matched, job.changed, job.unchanged, job.unmatched, job.invalid) == (9, 4, 3, 1, 1, 4)
    reasons = {p["row"]: p["reason"] for p in job.problems}
    assert reasons[6] == "证件号码不在参合登记中（或不在您的辖区内）"
    assert "应为 18 位，实为 17 位" in reasons[7] and "61012519700101123" not in reasons[7]
    assert reasons[8].startswith("贫困户状态“脱贫中”应为")
    assert reasons[9] == "“脱贫日期”不能为空"
    assert reasons[10] == "“纳入日期” 2026-07-01 晚于名单日期 2026-06-30"
    assert all("*" in p["id_number"] for p in job.problems)  # the report keeps no full ID number
    held = {(p.person_id, p.category): (p.valid_from, p.valid_to) for p in PersonCategory.objects.filter(
        person__in=[a, b, c, d])}
    assert held[(a.pk, "registered_poor")] == (dt.date(2026, 1, 1), None)
    assert held[(b.pk, "registered_poor")] == (dt.date(2020, 1, 1), dt.date(2026, 5, 31))
    assert held[(c.pk, "monitored")] == (dt.date(2026, 4, 1), None)
    assert held[(d.pk, "registered_poor")] == (dt.date(2025, 1, 1), None)
    # the engine's reading: b held the category on 31 May and not on 1 June
    assert PersonCategory.objects.held_on(dt.date(2026, 5, 31)).filter(person=b).exists()
    assert not PersonCategory.objects.held_on(dt.date(2026, 6, 1)).filter(person=b).exists()
    grants = AuditEntry.objects.filter(action="person.category_grant", actor_username="civil")
    assert grants.count() == 2 and all("扶贫办名单（2026-06-30）" in g.authority for g in grants)
    assert AuditEntry.objects.filter(action="person.category_end", actor_username="civil").count() == 1
    assert AuditEntry.objects.filter(action="poverty.import").count() == 1

    # the same file again: its earlier import, nothing changed
    again, new = poverty_import(actor=civil, file_name="名单.xlsx", content=content, as_of=AS_OF)
    assert (again.pk, new) == (job.pk, False)
    # the same list in another file: every person compared, none changed
    csv = "\n".join(",".join(str(x) for x in r) for r in [HEADERS, *rows[:4]]).encode("utf-8")
    third, new = poverty_import(actor=civil, file_name="名单.csv", content=csv, as_of=AS_OF)
    assert new and (third.changed, third.unchanged) == (0, 4)
    assert PersonCategory.objects.filter(person__in=[a, b, c, d]).count() == 4


def test_problem_rows_download_is_masked_and_audited(demo, login, client):
    a, b, c, d = _people(demo)
    stranger = make_id_number("610125", dt.date(1970, 1, 1), 499, "F")
    login("civil")
    content = _xlsx([[1, "东韩村", "H1", "外人", stranger, "未脱贫", "2026-01-01", ""]])
    response = client.post("/poverty/imports/", {"as_of": "2026-06-30", "file": _upload(content)})
    assert response.status_code == 302
    job = PovertyImport.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "证件号码不在参合登记中" in page and stranger not in page
    xlsx = client.get(f"/poverty/imports/{job.pk}/problems.xlsx")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content)).get_sheet_by_index(0).to_python()
    assert rows[0][-1] == "问题说明" and rows[1][0] == 2 and stranger not in str(rows)
    assert AuditEntry.objects.filter(action="export", actor_username="civil").count() == 1


def _upload(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("名单.xlsx", content)


def test_a_file_without_the_columns_is_refused(demo):
    with pytest.raises(ValidationFailed, match="证件号码"):
        poverty_import(actor=demo["civil"], file_name="x.csv", content="姓名,村\n张,东韩\n".encode(), as_of=AS_OF)


def test_only_poverty_managers_import(demo):
    with pytest.raises(Forbidden):
        poverty_import(actor=demo["ganting"], file_name="x.csv", content=b"a", as_of=AS_OF)


def test_the_command_imports_with_progress(demo, tmp_path, capsys):
    a, b, c, d = _people(demo)
    path = tmp_path / "名单.xlsx"
    path.write_bytes(_xlsx(_list(a, b, c, d)[:1]))
    call_command("poverty_import", str(path), as_of="2026-06-30", user="civil")
    out = capsys.readouterr()
    assert "类别变更 1 人" in out.out
    assert PersonCategory.objects.get(person=a).valid_from == dt.date(2026, 1, 1)

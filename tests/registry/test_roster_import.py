import csv
import datetime as dt
import io

import pytest
from openpyxl import Workbook
from people_factory import family
from python_calamine import CalamineWorkbook

from nrcms.accounts.models import AuditEntry
from nrcms.core.errors import Forbidden, ValidationFailed
from nrcms.core.idnumber import make_id_number
from nrcms.registry.models import Enrollment, EnrollmentExemption, Household, ImportJob, Person, Region
from nrcms.registry.roster_import import roster_import_create, roster_import_run
from nrcms.registry.roster_template import COLUMNS, read_roster, template_xlsx

pytestmark = pytest.mark.django_db
HEADERS = [c.header for c in COLUMNS]
G1, G2 = "610125100201001", "610125100202001"


def rid(y, m, d, seq, sex):
    return make_id_number("610125", dt.date(y, m, d), seq, sex)


def good_rows():
    return [
        ["1", G1, "一组 3 号", "王德福", rid(1960, 1, 2, 1, "M"), "户主", "13800000001", "", ""],
        ["1", G1, "", "赵桂芝", rid(1962, 3, 4, 2, "F"), "配偶", "", "", ""],
        ["1", G1, "", "王磊", rid(1988, 5, 6, 3, "M"), "儿子", "", "现役军人", ""],
        ["2", G2, "二组 8 号", "曾凡", rid(1975, 7, 8, 4, "M"), "户主", "", "", ""],
        ["2", G2, "", "单丽", rid(1977, 9, 10, 5, "F"), "妻子", "", "", ""],
    ]


def csv_bytes(rows, headers=HEADERS):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx(rows):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def run(actor, content, name="roster.csv", year=2026):
    job = roster_import_create(actor=actor, township=Region.objects.get(code="610125100000"), file_name=name,
                               content=content, scheme_year=year)
    return roster_import_run(job)


def error_rows(job):
    book = CalamineWorkbook.from_filelike(io.BytesIO(job.error_report.read()))
    return book.get_sheet_by_index(0).to_python()


def test_valid_file_imports_households_persons_and_enrollment(demo):
    job = run(demo["ganting"], csv_bytes(good_rows()))
    assert job.status == "done" and job.rows_error == 0
    assert (job.households_created, job.persons_created, job.persons_enrolled) == (2, 5, 4)
    wang = Person.objects.get(id_number=good_rows()[0][4])
    assert wang.relation == "head" and wang.household.region.code == G1 and wang.household.address == "一组 3 号"
    assert Person.objects.get(id_number=good_rows()[3][4]).name_initials == "zf"
    assert EnrollmentExemption.objects.get(person__id_number=good_rows()[2][4], scheme_year=2026).reason == "military"
    assert AuditEntry.objects.filter(action="roster.import_batch", object_id=str(job.pk)).count() == 1
    assert AuditEntry.objects.get(action="roster.import").after["persons_created"] == 5


def test_excel_file_imports_the_same(demo):
    job = run(demo["ganting"], xlsx(good_rows()), name="花名册.xlsx")
    assert (job.households_created, job.persons_created) == (2, 5)


def test_reimporting_the_same_file_changes_nothing(demo):
    content = csv_bytes(good_rows())
    run(demo["ganting"], content)
    counts = (Household.objects.count(), Person.objects.count(), Enrollment.objects.count())
    audit_before = AuditEntry.objects.filter(action="roster.import_batch").count()
    again = run(demo["ganting"], content)
    assert (again.households_created, again.persons_created, again.persons_enrolled) == (0, 0, 0)
    assert again.households_unchanged == 2 and again.rows_error == 0
    assert (Household.objects.count(), Person.objects.count(), Enrollment.objects.count()) == counts
    assert AuditEntry.objects.filter(action="roster.import_batch").count() == audit_before
    assert again.file_hash == ImportJob.objects.order_by("pk").first().file_hash


def test_bad_checksum_fails_only_its_household_with_a_chinese_report(demo):
    rows = good_rows()
    rows[1][4] = rows[1][4][:-1] + ("1" if rows[1][4][-1] != "1" else "2")
    job = run(demo["ganting"], csv_bytes(rows))
    assert job.households_created == 1 and job.rows_error == 3
    # nothing half-written: the two valid members of the failing household are not there either
    assert not Person.objects.filter(id_number__in=[r[4] for r in rows[:3]]).exists()
    report = error_rows(job)
    assert report[0][0] == "行号" and report[0][-1] == "错误说明"
    by_row = {int(r[0]): r[-1] for r in report[1:]}
    assert "校验位错误" in by_row[3]
    assert by_row[2] == by_row[4] == "同户其他行有错误，整户未导入"


def test_person_already_in_another_household_is_refused(demo):
    existing = family(demo["ganting"]).members.get(relation="child")
    rows = good_rows()
    rows[4][3], rows[4][4] = existing.name, existing.id_number
    job = run(demo["ganting"], csv_bytes(rows))
    message = {int(r[0]): r[-1] for r in error_rows(job)[1:]}[6]
    assert existing.household.number in message and "户间迁移" in message
    assert job.households_created == 1


def test_whole_household_rules(demo):
    rows = good_rows()
    rows[3][5] = "配偶"  # household 2 has no head
    rows[0][7] = rows[1][7] = "已参加职工医保"
    rows[2][7] = "现役军人"  # household 1: nobody enrolled
    job = run(demo["ganting"], csv_bytes(rows))
    messages = {int(r[0]): r[-1] for r in error_rows(job)[1:]}
    assert "没有户主" in messages[5] and "至少一人参合" in messages[2]
    assert job.households_created == 0 and not Person.objects.filter(id_number__in=[r[4] for r in rows]).exists()


def test_registered_household_missing_a_member_in_the_file_is_refused(demo):
    run(demo["ganting"], csv_bytes(good_rows()))
    job = run(demo["ganting"], csv_bytes(good_rows()[:2] + good_rows()[3:]))
    messages = {int(r[0]): r[-1] for r in error_rows(job)[1:]}
    assert "已登记 3 位在册成员" in messages[2] and job.households_unchanged == 1


def test_unknown_village_and_other_township_codes_are_refused(demo):
    rows = good_rows()
    rows[3][1] = rows[4][1] = "610125101201001"  # 余下镇, not this township
    rows[0][1] = rows[1][1] = rows[2][1] = "610125100299001"
    job = run(demo["ganting"], csv_bytes(rows))
    messages = [r[-1] for r in error_rows(job)[1:]]
    assert all("不是本乡镇的村或村民小组" in m for m in messages) and job.rows_error == 5


def test_duplicate_in_file_and_bad_relation_and_reason(demo):
    rows = good_rows()
    rows[4][4] = rows[3][4]
    rows[1][5] = "邻居"
    rows[2][7] = "出国"
    job = run(demo["ganting"], csv_bytes(rows))
    messages = {int(r[0]): r[-1] for r in error_rows(job)[1:]}
    assert "出现了 2 次" in messages[5] and "出现了 2 次" in messages[6]
    assert "无法识别" in messages[3] and "未参合原因“出国”无法识别" in messages[4]


def test_missing_columns_and_wrong_type_are_refused_at_upload(demo):
    with pytest.raises(ValidationFailed) as exc:
        run(demo["ganting"], csv_bytes([["1"]], headers=["户号"]))
    assert "身份证号" in exc.value.message and exc.value.field == "file"
    with pytest.raises(ValidationFailed):
        run(demo["ganting"], b"x", name="roster.pdf")


def test_only_township_clerks_in_scope_may_import(demo):
    with pytest.raises(Forbidden):
        run(demo["donghan"], csv_bytes(good_rows()))
    with pytest.raises(Exception) as exc:
        roster_import_create(actor=demo["yuxia"], township=Region.objects.get(code="610125100000"),
                             file_name="r.csv", content=csv_bytes(good_rows()), scheme_year=2026)
    assert exc.value.code == "not_found"


def test_template_has_chinese_headers_and_a_valid_example(demo):
    content = template_xlsx(Region.objects.get(code="610125100000"))
    frame = read_roster(content, "模板.xlsx")
    assert frame.height == 3 and frame["relation"].to_list() == ["户主", "配偶", "子女"]
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    assert book.sheet_names == ["花名册", "填写说明", "区划代码"]
    job = run(demo["ganting"], content, name="模板.xlsx")
    assert job.rows_error == 0 and job.persons_created == 3


def test_gb18030_csv_from_chinese_excel_is_read(demo):
    frame = read_roster(csv_bytes(good_rows()).decode().encode("gb18030"), "r.csv")
    assert frame["name"].to_list()[0] == "王德福"


def test_cli_imports_a_file_and_saves_the_error_report(demo, tmp_path):
    from django.core.management import call_command

    rows = good_rows()
    rows[3][4] = "123"
    src = tmp_path / "roster.csv"
    src.write_bytes(csv_bytes(rows))
    out = io.StringIO()
    call_command("import_roster", str(src), township="610125100000", year=2026, user="ganting",
                 errors=str(tmp_path / "err.xlsx"), stdout=out, stderr=io.StringIO())
    assert "新建 1 户 3 人" in out.getvalue()
    assert (tmp_path / "err.xlsx").stat().st_size > 0


def test_batches_of_whole_households_report_progress_and_an_audit_row_each(demo, monkeypatch):
    from nrcms.registry import roster_template, roster_write

    monkeypatch.setattr(roster_write, "BATCH_HOUSEHOLDS", 1)
    monkeypatch.setattr(roster_template, "READ_CHUNK", 2)  # the workbook is read two rows at a time
    job = roster_import_create(actor=demo["ganting"], township=Region.objects.get(code="610125100000"),
                               file_name="r.xlsx", content=xlsx(good_rows()), scheme_year=2026)
    seen = []
    job = roster_import_run(job, progress=seen.append)
    # no errors (0), nothing unchanged (0), then household 1 (3 persons) and household 2 (2 persons)
    assert seen == [0, 0, 3, 5] and job.rows_done == 5
    assert (job.households_created, job.persons_created, job.persons_enrolled) == (2, 5, 4)
    assert AuditEntry.objects.filter(action="roster.import_batch", object_id=str(job.pk)).count() == 2
    zeng = Person.objects.get(id_number=good_rows()[3][4])
    assert zeng.household.region.code == G2 and zeng.household.members.count() == 2 and zeng.sex == "M"
    assert zeng.birth_date == dt.date(1975, 7, 8) and zeng.events.get().kind == "register"


def test_person_registered_between_check_and_write_fails_only_that_household(demo, monkeypatch):
    from nrcms.registry import roster_write

    rows = good_rows()
    other = family(demo["ganting"])
    checked = roster_write.check_against_database

    def check_then_someone_registers(frame, **kwargs):
        out = checked(frame, **kwargs)
        Person.objects.create(id_number=rows[1][4], name="赵桂芝", sex="F", birth_date=dt.date(1962, 3, 4),
                              household=other, relation="other")
        return out

    monkeypatch.setattr(roster_write, "check_against_database", check_then_someone_registers)
    job = run(demo["ganting"], csv_bytes(rows))
    # the batch of both households is refused by the unique ID; split in two, household 2 is written alone
    assert (job.households_created, job.persons_created, job.persons_enrolled, job.rows_error) == (1, 2, 2, 3)
    messages = {int(r[0]): r[-1] for r in error_rows(job)[1:]}
    assert set(messages) == {2, 3, 4} and all("写入时与其他操作冲突" in m for m in messages.values())
    assert not Person.objects.filter(id_number__in=[rows[0][4], rows[2][4]]).exists()
    assert Person.objects.get(id_number=rows[1][4]).household == other
    assert Enrollment.objects.filter(person__id_number=rows[3][4], scheme_year=2026).exists()
    assert AuditEntry.objects.filter(action="roster.import_batch", object_id=str(job.pk)).count() == 1


def test_the_error_report_leaves_empty_fields_empty_and_guards_formulas(demo):
    from openpyxl import load_workbook

    rows = good_rows()
    rows[0][3] = "=HYPERLINK(\"http://x.example\",\"点我\")"  # a name that would run as a formula
    rows[0][4] = rows[0][4][:-1] + ("1" if rows[0][4][-1] != "1" else "2")  # bad checksum: the household fails
    job = run(demo["ganting"], csv_bytes(rows))
    ws = load_workbook(io.BytesIO(job.error_report.read())).active
    header = [c.value for c in ws[1]]
    first = dict(zip(header, [c.value for c in ws[2]], strict=True))
    second = dict(zip(header, [c.value for c in ws[3]], strict=True))
    assert first["姓名"] == "'" + rows[0][3]
    # the file left these blank: blank in the report too, not "'"
    assert second["详细地址"] is None and second["联系电话"] is None
    assert all(c.value != "'" for row in ws.iter_rows() for c in row)

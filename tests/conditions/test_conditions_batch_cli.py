"""`nrcms conditions export` and `nrcms conditions certify`: the page's Excel export from the command line
(same rows, columns and masking, the actor's jurisdiction, audited), and batch chronic-disease certification
from the hospitals' sheet — all rows or none, every error naming its row and column, a re-run skipping what is
already certified, a dry run writing nothing."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from nrcms.accounts.models import AuditEntry, User
from nrcms.conditions.models import ChronicCertificate
from nrcms.conditions.services import chronic_certify
from nrcms.registry.models import Person, Region

pytestmark = pytest.mark.django_db
D = dt.date
HEADER = ["身份证号", "病种代码", "认定医院编码", "认定日期", "有效期至", "备注"]


def sheet(path, rows, header=HEADER):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return str(path)


def certify(path, user="reviewer", **kwargs):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("conditions_certify", str(path), user=user, stdout=out, stderr=err, **kwargs)
    except CommandError as exc:
        return False, out.getvalue(), err.getvalue() + str(exc)
    return True, out.getvalue(), err.getvalue()


def masked(number):
    return number[:6] + "********" + number[-4:]


def read(path):
    return list(load_workbook(path).active.iter_rows(values_only=True))


# ---- export ----

def test_the_chronic_export_is_the_pages_file_masked_and_audited(client, login, demo, patients, layered_scheme,
                                                                   tmp_path):
    chronic_certify(actor=demo["reviewer"], id_number=patients.head.id_number, disease_code="I10",
                    facility_code="H610125001", certified_on=D(2026, 3, 1), valid_until=D(2027, 2, 28))
    out = tmp_path / "chronic.xlsx"
    stdout = io.StringIO()
    call_command("conditions_export", "chronic", user="civil", status="certified", out=str(out), stdout=stdout)
    assert "慢性病认定名单：1 行已写入" in stdout.getvalue()
    rows = read(out)
    assert rows[0] == ("姓名", "身份证号（脱敏）", "住址", "病种编码", "病种", "认定医疗机构", "认定日期", "有效期至", "状态",
                       "撤销日期", "撤销原因", "随访次数")
    number = patients.head.id_number
    assert rows[1][:2] == ("赵长林", masked(number)) and number not in str(rows)
    assert rows[1][3:] == ("I10", "高血压", "户县人民医院", "2026-03-01", "2027-02-28", "已认定", None, None, 0)
    assert len(rows) == 2
    entry = AuditEntry.objects.filter(action="export").latest("seq")
    assert (entry.actor_username, entry.after) == ("civil", {"what": "慢性病认定名单", "filters": "status=certified",
                                                             "rows": 1})
    # the page's export, same filter, same user: the same rows
    login("civil")
    page = client.get("/conditions/chronic.xlsx", {"status": "certified"})
    assert list(load_workbook(io.BytesIO(page.content)).active.iter_rows(values_only=True)) == rows
    # another township's filter: the header only
    call_command("conditions_export", "chronic", user="civil", township="610125101000", out=str(out),
                 stdout=io.StringIO())
    assert len(read(out)) == 1


def test_the_export_follows_the_users_rights_and_checks_its_filters(demo, patients, layered_scheme, tmp_path):
    out = str(tmp_path / "x.xlsx")
    with pytest.raises(CommandError, match="无权"):  # a township clerk may not view the registers, as on the page
        call_command("conditions_export", "serious", user="ganting", out=out, stdout=io.StringIO())
    with pytest.raises(CommandError, match="--status“sleeping”应为"):
        call_command("conditions_export", "sickbed", user="civil", status="sleeping", out=out, stdout=io.StringIO())
    with pytest.raises(CommandError, match="只按状态"):
        call_command("conditions_export", "sickbed", user="civil", township="610125100000", out=out,
                     stdout=io.StringIO())
    with pytest.raises(CommandError, match="不在大病集中救治病种名单"):
        call_command("conditions_export", "serious", user="civil", disease="flu", out=out, stdout=io.StringIO())
    for option, value, message in (("disease", "I10\x00", "--disease 含有不可见的控制字符"),
                                   ("township", "\x00", "--township 含有不可见的控制字符"),
                                   ("disease", "x" * 5000, "--disease 最多 100 个字符，读到 5000 个")):
        with pytest.raises(CommandError, match=message):  # never a database error, on PostgreSQL either
            call_command("conditions_export", "chronic", user="civil", out=out, stdout=io.StringIO(), **{option: value})
    assert not AuditEntry.objects.filter(action="export").exists()
    call_command("conditions_export", "sickbed", user="desk_yuxia", out=out, stdout=io.StringIO())
    assert read(out)[0][:3] == ("编号", "姓名", "身份证号（脱敏）") and len(read(out)) == 1
    assert AuditEntry.objects.get(action="export").after == {"what": "家庭病床名单", "filters": "", "rows": 0}


# ---- certify ----

def good_rows(patients):
    return [[patients.head.id_number, "i10", "H610125001", D(2026, 3, 1), None, "首次认定"],
            [patients.spouse.id_number, "E11", "H610125002", "2026/04/01", "2027-03-31", None]]


def test_a_good_file_certifies_every_row_each_audited(demo, patients, layered_scheme, tmp_path):
    ok, out, err = certify(sheet(tmp_path / "good.xlsx", good_rows(patients)))
    assert ok, err
    assert "已认定 2 行" in out and "已认定跳过 0 行" in out
    head = ChronicCertificate.objects.get(person=patients.head)
    spouse = ChronicCertificate.objects.get(person=patients.spouse)
    # 有效期至 left empty: the 认定日期 a year on
    assert (head.disease_code, head.disease_name, head.facility.code, head.certified_on, head.valid_until) == (
        "I10", "高血压", "H610125001", D(2026, 3, 1), D(2027, 3, 1))
    assert (spouse.disease_code, spouse.facility.code, spouse.certified_on, spouse.valid_until) == (
        "E11", "H610125002", D(2026, 4, 1), D(2027, 3, 31))
    entries = {e.object_id: e for e in AuditEntry.objects.filter(action="chronic.certify")}
    assert set(entries) == {str(head.pk), str(spouse.pk)}
    assert {e.actor_username for e in entries.values()} == {"reviewer"}
    assert entries[str(head.pk)].reason == "首次认定" and entries[str(spouse.pk)].reason == ""


def test_one_bad_row_writes_nothing_and_every_error_names_row_and_column(demo, patients, layered_scheme, tmp_path):
    rows = good_rows(patients) + [
        [patients.head.id_number, "X99", "H610125001", D(2026, 3, 1), None, None],          # row 4
        [patients.spouse.id_number, "I10", "H610125101", D(2026, 3, 1), None, None],       # row 5: township level
        ["610125195504020000", "I10", "H610125001", "2026-02-30", None, None],             # row 6: two errors
    ]
    ok, out, err = certify(sheet(tmp_path / "bad.xlsx", rows))
    assert not ok
    assert "第 4 行“病种代码”列：病种编码“X99”不在补偿方案的门诊慢性病病种中" in err
    assert "第 5 行“认定医院编码”列：认定医疗机构须为县级及以上定点医疗机构" in err
    assert "第 6 行“身份证号”列：身份证号“610125********0000”校验位错误" in err
    assert "第 6 行“认定日期”列：“2026-02-30”不是存在的日期" in err
    assert "610125195504020000" not in err  # the numbers in the messages are masked
    assert "有 4 处错误，未写入任何认定" in err
    assert not ChronicCertificate.objects.exists()
    assert not AuditEntry.objects.filter(action="chronic.certify").exists()


def test_the_same_file_again_skips_what_is_certified(demo, patients, layered_scheme, tmp_path):
    path = sheet(tmp_path / "good.xlsx", good_rows(patients))
    assert certify(path)[0]
    ok, out, err = certify(path)
    assert ok, err
    assert f"第 2 行 赵长林（{masked(patients.head.id_number)}）高血压：已认定，跳过（2026-03-01 至 2027-03-01）" in out
    assert "第 3 行 钱秀梅" in out and "没有需要新认定的行，未写入，已认定跳过 2 行" in out
    assert ChronicCertificate.objects.count() == 2
    assert AuditEntry.objects.filter(action="chronic.certify").count() == 2


def test_a_person_twice_for_one_disease_in_a_file_is_an_error(demo, patients, layered_scheme, tmp_path):
    rows = [*good_rows(patients), [patients.head.id_number, "I10", "H610125002", D(2026, 5, 1), None, None]]
    ok, _, err = certify(sheet(tmp_path / "twice.xlsx", rows))
    assert not ok and "第 4 行“身份证号”列：与第 2 行是同一人同一病种（I10）" in err
    assert not ChronicCertificate.objects.exists()


def test_a_dry_run_validates_and_writes_nothing(demo, patients, layered_scheme, tmp_path):
    ok, out, err = certify(sheet(tmp_path / "good.xlsx", good_rows(patients)), dry_run=True)
    assert ok, err
    assert "校验通过（--dry-run，未写入）：数据行 2，将认定 2 行" in out
    assert not ChronicCertificate.objects.exists()
    assert not AuditEntry.objects.filter(action="chronic.certify").exists()
    bad = sheet(tmp_path / "bad.xlsx", [[patients.head.id_number, "X99", "H610125001", D(2026, 3, 1)]],
                header=HEADER[:4])  # 有效期至 and 备注 may be left out
    ok, _, err = certify(bad, dry_run=True)
    assert not ok and "第 2 行“病种代码”列" in err


def test_a_user_is_refused_outside_its_rights_and_jurisdiction(demo, patients, layered_scheme, tmp_path):
    path = sheet(tmp_path / "good.xlsx", good_rows(patients))
    ok, _, err = certify(path, user="ganting")  # a township clerk may not certify at all
    assert not ok and "没有“管理慢病认定与大病救治”的权限" in err
    # a civil-affairs officer of 余下镇: the two 甘亭镇 people are refused row by row, its own person passes
    officer = User.objects.create(username="civil_yuxia", role="civil_affairs",
                                  region=Region.objects.get(code="610125101000"))
    local = Person.objects.filter(household__region__code__startswith="610125101").order_by("pk").first()
    rows = [*good_rows(patients), [local.id_number, "I10", "H610125001", D(2026, 3, 1), None, None]]
    ok, _, err = certify(sheet(tmp_path / "mixed.xlsx", rows), user=officer.username)
    assert not ok
    assert f"第 2 行“身份证号”列：身份证号 {masked(patients.head.id_number)} 未在本辖区新农合登记" in err
    assert f"第 3 行“身份证号”列：身份证号 {masked(patients.spouse.id_number)} 未在本辖区新农合登记" in err
    assert "第 4 行" not in err and "有 2 处错误" in err
    assert not ChronicCertificate.objects.exists()
    ok, out, err = certify(sheet(tmp_path / "local.xlsx", rows[2:]), user=officer.username)
    assert ok, err
    assert ChronicCertificate.objects.get().person == local


def test_nrcms_conditions_certify_exits_1_on_errors(demo, patients, layered_scheme, tmp_path, capsys, monkeypatch):
    from django.db import connections

    from nrcms.cli import main

    monkeypatch.setattr(connections, "close_all", lambda: None)  # keep the test's transaction (see year_close)
    good = sheet(tmp_path / "good.xlsx", good_rows(patients))
    assert main(["conditions", "certify", good, "--user", "reviewer", "--dry-run"]) == 0
    assert "校验通过" in capsys.readouterr().out
    bad = sheet(tmp_path / "bad.xlsx", [[patients.head.id_number, "X99", "H610125001", D(2026, 3, 1)]])
    with pytest.raises(SystemExit) as exc:
        main(["conditions", "certify", bad, "--user", "reviewer"])
    assert exc.value.code == 1 and "第 2 行“病种代码”列" in capsys.readouterr().err
    assert not ChronicCertificate.objects.exists()


def test_hostile_cells_are_row_errors_and_nothing_is_written(demo, patients, layered_scheme, tmp_path):
    """A NUL byte (PostgreSQL refuses it in text), 5,000 characters, a word where a date goes, letters where the
    ID number goes: each a row error naming its column, the whole file refused, never a crash."""
    head = patients.head.id_number
    lines = [",".join(HEADER),
             f"{head},I10,H61012\x005001,2026-03-01,,",                      # row 2: NUL in a code
             f"{patients.spouse.id_number},I10,H610125001,2026-03-01,,备注\x00",  # row 3: NUL in the note
             f"{head},E11,H610125001,2026-03-01,,{'长' * 5000}",              # row 4: 5,000 characters
             f"{head},J44,H610125001,明天,,",                                   # row 5: not a date
             "not-a-number,I10,H610125001,2026-03-01,,"]                        # row 6
    path = tmp_path / "hostile.csv"
    path.write_bytes("\n".join(lines).encode("utf-8"))
    ok, out, err = certify(path)
    assert not ok
    assert "第 2 行“认定医院编码”列：含有不可见的控制字符（NUL）" in err
    assert "第 3 行“备注”列：含有不可见的控制字符（NUL）" in err
    assert "第 4 行“备注”列：最多 300 个字，现有 5000 个字" in err
    assert "第 5 行“认定日期”列：" in err and "第 6 行“身份证号”列：" in err
    assert "\x00" not in err
    assert not ChronicCertificate.objects.exists()
    assert not AuditEntry.objects.filter(action="chronic.certify").exists()

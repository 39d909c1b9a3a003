"""The enrolled persons kept per year and household region (registry.EnrolledCount, nrcms/registry/enrolled_counts.py),
which the statistics read instead of counting the enrollments: after every writer of enrollments — enrolling,
enrolling a newborn, cancelling, enrolling cancelled rows again (also in another household, of another region),
the roster import (new households and households already registered) — it moves by the hand-counted persons and
equals the enrollments' own count. The rebuild puts a tampered summary right; `--check` and `nrcms registry
check` report it."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from people_factory import GROUP, YUXIA_GROUP, family, person
from test_roster_import import G1, G2, csv_bytes, good_rows, run

from nrcms.accounts.models import AuditEntry
from nrcms.registry import enrolled_counts
from nrcms.registry.enrollment import enrollment_cancel, household_enroll
from nrcms.registry.models import EnrolledCount, Enrollment, Region
from nrcms.registry.people import person_add, person_move

pytestmark = pytest.mark.django_db
OTHER_GROUP = "610125100202001"  # 甘亭镇 another village's first group


def kept(code: str, year: int = 2026) -> int:
    row = EnrolledCount.objects.filter(scheme_year=year, region__code=code).first()
    return row.persons if row else 0


def agrees() -> None:
    assert enrolled_counts.differences() == (0, [])


def test_the_demo_county_is_kept_equal_to_its_enrollments(demo):
    agrees()
    total = Enrollment.objects.filter(scheme_year=2026, status="enrolled").count()
    assert total > 0 and enrolled_counts.county(2026) == total
    assert enrolled_counts.county(2026, "610125100") == Enrollment.objects.filter(
        scheme_year=2026, status="enrolled", household__region__code__startswith="610125100").count()


def test_enroll_newborn_cancel_and_enroll_again(demo):
    clerk = demo["ganting"]
    before = kept(GROUP)
    h = family(clerk)  # head, spouse, son
    household_enroll(actor=clerk, household=h, scheme_year=2026)
    assert kept(GROUP) == before + 3
    agrees()
    person_add(actor=clerk, household=h, kind="birth", date=dt.date(2026, 5, 1),
               person=person("张宝宝", "grandchild", dt.date(2026, 5, 1), "M"))
    household_enroll(actor=clerk, household=h, scheme_year=2026)
    assert kept(GROUP) == before + 4
    assert enrollment_cancel(actor=clerk, household=h, scheme_year=2026, reason="重复登记") == 4
    assert kept(GROUP) == before
    agrees()
    household_enroll(actor=clerk, household=h, scheme_year=2026)  # the four cancelled rows enrolled again
    assert kept(GROUP) == before + 4
    assert kept(GROUP, 2027) == 0
    agrees()


def test_a_cancelled_row_enrolled_again_in_another_households_region(demo):
    clerk = demo["ganting"]
    before_here, before_there = kept(GROUP), kept(OTHER_GROUP)
    h = family(clerk)
    household_enroll(actor=clerk, household=h, scheme_year=2026)
    enrollment_cancel(actor=clerk, household=h, scheme_year=2026, reason="登记错误")
    son = h.members.get(relation="child")
    # the son founds his own household in another village; his cancelled 2026 row stays with the old household
    person_move(actor=clerk, person=son, to_household=None, relation="head", date=dt.date(2026, 6, 1),
                new_region=Region.objects.get(code=OTHER_GROUP), new_address="二组 1 号")
    son.refresh_from_db()
    household_enroll(actor=clerk, household=son.household, scheme_year=2026)
    row = Enrollment.objects.get(person=son, scheme_year=2026)
    assert (row.household_id, row.status) == (son.household_id, "enrolled")  # the update moved it
    assert (kept(GROUP), kept(OTHER_GROUP)) == (before_here, before_there + 1)
    household_enroll(actor=clerk, household=h, scheme_year=2026)  # head and spouse again
    assert (kept(GROUP), kept(OTHER_GROUP)) == (before_here + 2, before_there + 1)
    agrees()


def test_the_roster_import_counts_new_and_already_registered_households(demo):
    clerk = demo["ganting"]
    before = kept(G1), kept(G2)
    # household 1 in G1: two enrolled, the son a soldier (exempted); household 2 in G2: two enrolled
    job = run(clerk, csv_bytes(good_rows()))
    assert job.persons_enrolled == 4
    assert (kept(G1), kept(G2)) == (before[0] + 2, before[1] + 2)
    agrees()
    # the same households registered without a year, then enrolled by importing the file again for 2027
    assert (kept(G1, 2027), kept(G2, 2027)) == (0, 0)
    job = run(clerk, csv_bytes(good_rows()), year=2027)
    assert job.households_unchanged == 2 and job.persons_enrolled == 4
    assert (kept(G1, 2027), kept(G2, 2027)) == (2, 2)
    assert (kept(G1), kept(G2)) == (before[0] + 2, before[1] + 2)
    agrees()


def test_a_tampered_summary_is_reported_and_the_rebuild_puts_it_right(demo):
    clerk = demo["yuxia"]
    h = family(clerk, region_code=YUXIA_GROUP)
    household_enroll(actor=clerk, household=h, scheme_year=2026)
    right = kept(YUXIA_GROUP)
    EnrolledCount.objects.filter(scheme_year=2026, region__code=YUXIA_GROUP).update(persons=right + 5)
    count, shown = enrolled_counts.differences()
    assert count == 1 and shown == [f"2026 年度 区划 {YUXIA_GROUP}：汇总 {right + 5} 人，参合记录 {right} 人"]
    with pytest.raises(CommandError) as exc:
        call_command("stats_rebuild_summaries", check=True, stdout=io.StringIO())
    assert "按区划参合人数汇总有 1 处与参合记录不符" in str(exc.value)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("registry_check", year=2026, stdout=out)
    assert f"参合人数汇总不符：2026 年度 区划 {YUXIA_GROUP}：汇总 {right + 5} 人" in out.getvalue()
    out = io.StringIO()
    call_command("stats_rebuild_summaries", stdout=out, stderr=io.StringIO())
    assert "按区划参合人数汇总重算前：1 处与参合记录不符" in out.getvalue()
    assert "已重算按区划参合人数汇总" in out.getvalue()
    assert kept(YUXIA_GROUP) == right
    agrees()
    audit = AuditEntry.objects.filter(action="enrolled_counts.rebuild").latest("seq")
    assert audit.after["differences"] == 1 and audit.after["rows"] == EnrolledCount.objects.count()
    call_command("stats_rebuild_summaries", check=True, stdout=io.StringIO())


def test_a_missing_row_is_reported_and_one_year_rebuilt(demo):
    clerk = demo["ganting"]
    h = family(clerk)
    household_enroll(actor=clerk, household=h, scheme_year=2027)
    assert kept(GROUP, 2027) == 3
    EnrolledCount.objects.filter(scheme_year=2027).delete()
    assert enrolled_counts.differences(2027) == (1, [f"2027 年度 区划 {GROUP}：汇总 0 人，参合记录 3 人"])
    assert enrolled_counts.differences(2026) == (0, [])
    assert enrolled_counts.rebuild(2027) == 1
    assert kept(GROUP, 2027) == 3
    agrees()

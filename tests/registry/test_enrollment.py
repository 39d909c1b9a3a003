import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from people_factory import family, person

from nrcms.accounts.models import AuditEntry
from nrcms.core.errors import Conflict, Forbidden, ValidationFailed
from nrcms.core.masking import mask_id
from nrcms.registry.enrollment import enrollment_cancel, household_enroll, missing_members
from nrcms.registry.models import Enrollment, EnrollmentExemption
from nrcms.registry.people import person_add

pytestmark = pytest.mark.django_db


def test_whole_household_is_enrolled(demo):
    clerk = demo["ganting"]
    h = family(clerk)
    result = household_enroll(actor=clerk, household=h, scheme_year=2026)
    assert len(result.enrolled) == 3
    assert Enrollment.objects.filter(household=h, scheme_year=2026).count() == 3
    entry = AuditEntry.objects.get(action="household.enroll")
    assert entry.after["scheme_year"] == 2026 and len(entry.after["enrolled"]) == 3


def test_member_left_out_without_reason_is_refused_by_name(demo):
    clerk = demo["ganting"]
    h = family(clerk)
    head, spouse, son = h.members.order_by("id")
    with pytest.raises(ValidationFailed) as exc:
        household_enroll(actor=clerk, household=h, scheme_year=2026, person_ids=[head.pk, spouse.pk])
    assert exc.value.code == "whole_household" and son.name in exc.value.message
    assert mask_id(son.id_number) in exc.value.message and son.id_number not in exc.value.message
    assert exc.value.details == [{"id_number": mask_id(son.id_number), "name": son.name}]
    assert not Enrollment.objects.filter(household=h).exists()


def test_member_left_out_with_reason_is_recorded(demo):
    clerk = demo["ganting"]
    h = family(clerk)
    head, spouse, son = h.members.order_by("id")
    result = household_enroll(actor=clerk, household=h, scheme_year=2026, person_ids=[head.pk, spouse.pk],
                              exemptions={son.pk: ("military", "")})
    assert [p.pk for p in result.exempted] == [son.pk]
    assert EnrollmentExemption.objects.get(person=son).get_reason_display() == "现役军人"
    assert missing_members(h, 2026) == []


def test_other_reason_needs_a_note(demo):
    clerk = demo["ganting"]
    h = family(clerk)
    son = h.members.get(relation="child")
    with pytest.raises(ValidationFailed) as exc:
        household_enroll(actor=clerk, household=h, scheme_year=2026, exemptions={son.pk: ("other", " ")})
    assert "说明" in exc.value.message


def test_enrolling_again_adds_only_the_newborn_then_refuses(demo):
    clerk = demo["ganting"]
    h = family(clerk)
    household_enroll(actor=clerk, household=h, scheme_year=2026)
    person_add(actor=clerk, household=h, kind="birth", date=dt.date(2026, 5, 1),
               person=person("张宝宝", "grandchild", dt.date(2026, 5, 1), "M"))
    assert [p.name for p in missing_members(h, 2026)] == ["张宝宝"]
    again = household_enroll(actor=clerk, household=h, scheme_year=2026)
    assert [p.name for p in again.enrolled] == ["张宝宝"]
    with pytest.raises(Conflict):
        household_enroll(actor=clerk, household=h, scheme_year=2026)


def test_one_enrollment_per_person_year_is_a_database_rule(demo):
    clerk = demo["ganting"]
    h = family(clerk)
    household_enroll(actor=clerk, household=h, scheme_year=2026)
    p = h.members.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrollment.objects.create(person=p, household=h, scheme_year=2026)


def test_scheme_year_is_checked(demo):
    h = family(demo["ganting"])
    with pytest.raises(ValidationFailed) as exc:
        household_enroll(actor=demo["ganting"], household=h, scheme_year=1999)
    assert exc.value.field == "scheme_year"


def test_village_clerk_and_other_township_cannot_enroll(demo):
    h = family(demo["ganting"])
    with pytest.raises(Forbidden):
        household_enroll(actor=demo["donghan"], household=h, scheme_year=2026)
    with pytest.raises(Exception) as exc:
        household_enroll(actor=demo["yuxia"], household=h, scheme_year=2026)
    assert exc.value.code == "not_found"


def test_cancel_keeps_rows_and_allows_reenrollment(demo):
    clerk = demo["ganting"]
    h = family(clerk)
    household_enroll(actor=clerk, household=h, scheme_year=2026)
    with pytest.raises(ValidationFailed):
        enrollment_cancel(actor=clerk, household=h, scheme_year=2026, reason="")
    assert enrollment_cancel(actor=clerk, household=h, scheme_year=2026, reason="重复登记") == 3
    assert Enrollment.objects.filter(household=h, status="cancelled").count() == 3
    household_enroll(actor=clerk, household=h, scheme_year=2026)
    assert Enrollment.objects.filter(household=h, status="enrolled").count() == 3


def test_registry_check_reports_members_left_out(demo):
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    clerk = demo["ganting"]
    out = io.StringIO()
    call_command("registry_check", year=2026, stdout=out)
    assert "检查通过" in out.getvalue()
    h = family(clerk)
    household_enroll(actor=clerk, household=h, scheme_year=2026)
    person_add(actor=clerk, household=h, kind="birth", date=dt.date(2026, 7, 1),
               person=person("张新生", "grandchild", dt.date(2026, 7, 1), "F"))
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("registry_check", year=2026, stdout=out)
    assert "张新生" in out.getvalue() and f"未发证：户 {h.number}" in out.getvalue()

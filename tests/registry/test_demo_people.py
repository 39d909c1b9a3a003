import pytest

from nrcms.core.idnumber import validate_id_number
from nrcms.demo.people import load_people
from nrcms.registry.enrollment import missing_members
from nrcms.registry.models import (
    Certificate,
    Enrollment,
    EnrollmentExemption,
    Household,
    Person,
    PersonCategory,
)

pytestmark = pytest.mark.django_db


def test_demo_county_has_enrolled_families_with_valid_ids(demo):
    people = list(Person.objects.all())
    assert 500 <= len(people) <= 900 and 150 <= Household.objects.count() <= 300
    assert all(validate_id_number(p.id_number).birth_date == p.birth_date for p in people)
    assert Enrollment.objects.filter(scheme_year=2026).count() == len(people) - 1
    assert EnrollmentExemption.objects.get().get_reason_display() == "现役军人"
    assert Certificate.objects.filter(status="valid").count() == Household.objects.count()
    assert {c.category for c in PersonCategory.objects.all()} >= {"wubao", "dibao", "registered_poor", "disabled"}
    assert all(not missing_members(h, 2026) for h in Household.objects.all()[:40])


def test_loading_again_changes_nothing(demo):
    counts = (Household.objects.count(), Person.objects.count(), Enrollment.objects.count(),
              Certificate.objects.count(), PersonCategory.objects.count())
    result = load_people()
    assert result["households_created"] == 0 and result["households_unchanged"] == counts[0]
    assert (Household.objects.count(), Person.objects.count(), Enrollment.objects.count(),
            Certificate.objects.count(), PersonCategory.objects.count()) == counts

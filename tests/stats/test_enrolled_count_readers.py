"""The statistics' enrolled persons read from the kept summary (registry.EnrolledCount): the county's count, by
township and by village give the same figures as counting the enrollments themselves, for the whole county and
for a township; after a cancellation they move with it; a category filter still counts the enrollments."""

import datetime as dt

import pytest
from small_county import PREFIX, TOWNSHIP, VILLAGE_A, VILLAGE_B

from nrcms.registry.enrollment import enrollment_cancel
from nrcms.registry.models import Enrollment, Household
from nrcms.stats.dashboard import enrollment_by_township, expected_income
from nrcms.stats.indicators import enrolled
from nrcms.stats.ledgers import _enrolled_by
from nrcms.stats.scope import Scope

pytestmark = pytest.mark.django_db
YEAR = 2026


def raw_by(prefix: str, digits: int) -> dict[str, int]:
    """The enrollments counted by hand in Python, row by row: per region code cut to `digits`."""
    out: dict[str, int] = {}
    for code in Enrollment.objects.filter(scheme_year=YEAR, status="enrolled",
                                          household__region__code__startswith=prefix) \
            .values_list("household__region__code", flat=True):
        out[code[:digits]] = out.get(code[:digits], 0) + 1
    return out


def scope(prefix: str = "", category: str = "") -> Scope:
    return Scope(dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31), prefix, category=category)


def same_as_raw(prefix: str) -> None:
    total = sum(raw_by(prefix, 12).values())
    assert enrolled(scope(prefix)) == total
    villages, townships = _enrolled_by(scope(prefix))
    assert villages == raw_by(prefix, 12)
    assert townships == raw_by(prefix, 9)
    by_township = {t["code"][:9]: t["enrolled"] for t in enrollment_by_township(YEAR, prefix)}
    assert {k: v for k, v in by_township.items() if v} == raw_by(prefix, 9)


def test_the_readers_give_the_enrollments_own_figures(small):
    same_as_raw("")
    same_as_raw("610125")
    same_as_raw("610125100")
    same_as_raw(PREFIX)
    assert expected_income(YEAR)["enrolled"] == Enrollment.objects.filter(scheme_year=YEAR, status="enrolled").count()


def test_the_small_township_by_hand_and_after_a_cancellation(small):
    # 甲村: A and B (one household); 乙村: C and D (two households)
    assert enrolled(scope(PREFIX)) == 4
    assert _enrolled_by(scope(PREFIX)) == ({VILLAGE_A: 2, VILLAGE_B: 2}, {PREFIX: 4})
    (row,) = [t for t in enrollment_by_township(YEAR, PREFIX) if t["code"] == TOWNSHIP]
    assert (row["population"], row["enrolled"]) == (16, 4)
    county = enrolled(scope())
    enrollment_cancel(actor=small.clerk, household=Household.objects.get(number="SY0003"), scheme_year=YEAR,
                      reason="重复登记")
    assert enrolled(scope(PREFIX)) == 3
    assert _enrolled_by(scope(PREFIX)) == ({VILLAGE_A: 2, VILLAGE_B: 1}, {PREFIX: 3})
    assert enrolled(scope()) == county - 1
    same_as_raw("")


def test_a_category_filter_counts_the_enrollments(small):
    # C is the one registered-poor person of the small township
    assert enrolled(scope(PREFIX, "registered_poor")) == 1

"""Two desks settling the same person at the same moment must not break the annual cap (PostgreSQL row
locks). SQLite serialises all writers anyway, and its in-memory test database is not shared between
threads, so this test runs where it means something: against PostgreSQL, as CI does."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from claims_factory import admitted
from django.db import connection, connections

from nrcms.claims.models import PersonYear, Settlement
from nrcms.claims.settlement import settlement_settle

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="需要 PostgreSQL（CI 的第二轮）：行锁并发测试")
def test_two_desks_settling_one_person_at_once_never_break_the_cap(demo, family):
    from nrcms.claims.models import Episode

    PersonYear.objects.create(person=family.head, scheme_year=2026, admissions=2, basic_paid=Decimal("196000.00"))
    # two stays one after the other (a stay may not overlap another), settled at the same moment
    county = admitted(demo["desk_county"], family.head, "A-1", admit=dt.date(2026, 5, 1), discharge=dt.date(2026, 5, 9))
    from nrcms.accounts.models import User

    ganting_desk = User.objects.get(username="desk_ganting")
    from nrcms.facilities.catalogue import mapping_set
    from nrcms.facilities.models import Facility

    facility = Facility.objects.get(code="H610125101")
    for code in ("ZL0001", "YP0106", "YP0201"):
        mapping_set(actor=None, facility=facility, facility_item_code=f"5001-{code}", facility_item_name=code,
                    catalogue_code=code, valid_from=dt.date(2026, 1, 1))
    township = admitted(ganting_desk, family.head, "B-1", discharge=dt.date(2026, 5, 20))
    barrier, errors = threading.Barrier(2), []

    def run(user, episode_id):
        try:
            barrier.wait()
            settlement_settle(actor=user, episode=Episode.objects.get(pk=episode_id))
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(demo["desk_county"], county.pk)),
               threading.Thread(target=run, args=(ganting_desk, township.pk))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    paid = sum(s.basic for s in Settlement.objects.filter(episode__person=family.head))
    year = PersonYear.objects.get(person=family.head, scheme_year=2026)
    assert year.basic_paid == Decimal("196000.00") + paid
    assert year.basic_paid <= Decimal("200000.00") and paid == Decimal("4000.00")

import datetime as dt
from decimal import Decimal

import pytest
from payments_factory import at, reversed_, settled

from nrcms.accounts.models import AuditEntry
from nrcms.core.errors import Forbidden, ValidationFailed
from nrcms.payments.reconciliation import ReconciliationInput, day_totals, reconciliation_submit

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 9, 15)


@pytest.fixture
def day(demo, patients):
    """The county hospital on 2026-09-15: A and B settled (3450.00 each from the fund, 7000.00 total, 3550.00
    self-pay); C settled on 09-14 and reversed on 09-15 (−3450.00 / −7000.00 / −3550.00 that day).
    The day nets to fund 3450.00, cost 7000.00, self-pay 3550.00: 2 settlements and 1 reversal."""
    desk, p = demo["desk_county"], patients.people
    a = settled(desk, p[0], "ZY-A", at(2026, 9, 15, 8, 30))
    b = settled(desk, p[1], "ZY-B", at(2026, 9, 15, 23, 50))  # late evening, Beijing time, still the 15th
    c = settled(desk, p[2], "ZY-C", at(2026, 9, 14, 16))
    c_rev = reversed_(desk, c, at(2026, 9, 15, 9))
    settled(desk, p[3], "ZY-D", at(2026, 9, 16, 0, 5))  # just after midnight: the 16th
    return {"a": a, "b": b, "c_rev": c_rev}


def _their(**change):
    values = {"date": DAY, "settlement_count": 2, "reversal_count": 1, "total_cost": Decimal("7000.00"),
              "fund_total": Decimal("3450.00"), "self_pay": Decimal("3550.00")}
    values.update(change)
    return ReconciliationInput(**values)


def test_the_systems_day_is_counted_in_beijing_time(demo, day):
    totals, lines = day_totals(facility=demo["desk_county"].facility, date=DAY)
    assert totals == {"settlement_count": 2, "reversal_count": 1, "total_cost": Decimal("7000.00"),
                      "fund_total": Decimal("3450.00"), "self_pay": Decimal("3550.00")}
    assert lines == {day["a"].number: Decimal("3450.00"), day["b"].number: Decimal("3450.00"),
                     day["c_rev"].number: Decimal("-3450.00")}


def test_matching_totals_reconcile(demo, day):
    row = reconciliation_submit(actor=demo["desk_county"], data=_their(lines=[
        {"number": day["a"].number, "fund_total": "3450.00"}, {"number": day["b"].number, "fund_total": "3450.00"},
        {"number": day["c_rev"].number, "fund_total": "-3450.00"}]))
    assert row.result == "matched" and row.differences == []
    assert row.system_totals["fund_total"] == "3450.00" and row.facility.code == "H610125001"
    assert AuditEntry.objects.filter(action="reconciliation.submit", object_id=str(row.pk)).exists()


def test_mismatching_totals_list_every_difference(demo, day):
    # The facility missed B (one settlement, 3450.00 / 7000.00 / 3550.00 less), booked A at 3405.00 and has a
    # settlement the system does not know.
    row = reconciliation_submit(actor=demo["desk_county"], data=_their(
        settlement_count=1, total_cost=Decimal("0.00"), fund_total=Decimal("-45.00"), self_pay=Decimal("0.00"),
        lines=[{"number": day["a"].number, "fund_total": "3405.00"},
               {"number": day["c_rev"].number, "fund_total": "-3450.00"},
               {"number": "JS20269999999", "fund_total": "12.00"}]))
    assert row.result == "mismatched"
    by_item = {(d["item"], d.get("number")): d for d in row.differences}
    assert by_item[("settlement_count", None)]["difference"] == -1
    assert by_item[("total_cost", None)]["difference"] == "-7000.00"
    assert by_item[("fund_total", None)] == {"item": "fund_total", "label": "基金支付合计", "facility": "-45.00",
                                             "system": "3450.00", "difference": "-3495.00"}
    assert by_item[("self_pay", None)]["difference"] == "-3550.00"
    assert ("reversal_count", None) not in by_item
    assert by_item[("line", "JS20269999999")]["label"] == "机构有、系统无"
    assert by_item[("line", day["b"].number)]["label"] == "系统有、机构无"
    assert by_item[("line", day["a"].number)] == {"item": "line", "label": "基金支付金额不同",
                                                  "number": day["a"].number, "facility": "3405.00",
                                                  "system": "3450.00", "difference": "-45.00"}
    assert len(row.differences) == 7


def test_reconciliation_refusals(demo, day):
    for username in ("reviewer", "finance"):
        with pytest.raises(Forbidden):
            reconciliation_submit(actor=demo[username], data=_their())
    with pytest.raises(ValidationFailed) as exc:
        reconciliation_submit(actor=demo["desk_county"], data=_their(date=dt.date.today() + dt.timedelta(days=2)))
    assert exc.value.field == "date"
    with pytest.raises(ValidationFailed) as exc:
        reconciliation_submit(actor=demo["desk_county"], data=_their(fund_total=Decimal("1.005")))
    assert exc.value.field == "fund_total"
    with pytest.raises(ValidationFailed) as exc:
        reconciliation_submit(actor=demo["desk_county"], data=_their(lines=[{"number": "X", "fund_total": "1"},
                                                                            {"number": "X", "fund_total": "1"}]))
    assert exc.value.code == "duplicate"


def test_another_facility_reconciles_its_own_day(demo, day):
    row = reconciliation_submit(actor=demo["desk_ganting"], data=_their())
    # the township centre settled nothing that day in these tests' months: every total differs
    assert row.facility.code == "H610125101" and row.result == "mismatched"
    assert row.system_totals == {"settlement_count": 0, "reversal_count": 0, "total_cost": "0.00",
                                 "fund_total": "0.00", "self_pay": "0.00"}

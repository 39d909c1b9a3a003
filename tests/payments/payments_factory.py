"""Settled episodes placed in a chosen month: the desk settles through the real services, then the
settlement's time is moved (settled_at is stamped on insert, and a month can only be stated once it ended)."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from nrcms.claims.desk import episode_discharge
from nrcms.claims.desk_admission import AdmissionInput, admission_register
from nrcms.claims.desk_charges import ChargeInput, charges_upload
from nrcms.claims.models import Settlement
from nrcms.claims.settlement import settlement_reverse, settlement_settle
from nrcms.stats import facts

CST = ZoneInfo("Asia/Shanghai")
ADMIT, DISCHARGE = dt.date(2026, 5, 10), dt.date(2026, 5, 20)
# bed 300 (甲) + urokinase 6000 (乙, 20 % first self-pay) + albumin 700 (丙): total 7000, eligible 5100,
# deductible 500, (5100 − 500) × 75 % = 3450.00 fund (all basic), self-pay 3550.00 — the county hospital.
INPATIENT_LINES = [("5001-ZL0001", "10", "30", "300.00"), ("5001-YP0106", "4", "1500", "6000.00"),
                   ("5001-YP0201", "2", "350", "700.00")]


def at(year, month, day, hour=10, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=CST)


def move(settlement: Settlement, when: dt.datetime) -> Settlement:
    Settlement.objects.filter(pk=settlement.pk).update(settled_at=when)
    facts.add(settlement_ids=[settlement.pk])
    settlement.refresh_from_db()
    return settlement


def settled(desk, person, serial, when, *, kind="inpatient", lines=None) -> Settlement:
    episode, _ = admission_register(actor=desk, data=AdmissionInput(
        serial=serial, kind=kind, id_number=person.id_number, admission_date=ADMIT, diagnosis_code="I63.9"))
    result = charges_upload(actor=desk, episode=episode, lines=[
        ChargeInput(line_no=n, facility_item_code=code, item_name="x", charged_on=ADMIT, quantity=Decimal(q),
                    unit_price=Decimal(p), amount=Decimal(a))
        for n, (code, q, p, a) in enumerate(lines or INPATIENT_LINES, start=1)])
    assert result.ok, result.errors
    if kind == "inpatient":
        episode = episode_discharge(actor=desk, episode=episode, discharge_date=DISCHARGE)
    settlement, _ = settlement_settle(actor=desk, episode=episode)
    return move(settlement, when)


def reversed_(desk, settlement, when, reason="费用录入错误") -> Settlement:
    return move(settlement_reverse(actor=desk, settlement=settlement, reason=reason), when)

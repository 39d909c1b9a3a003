"""Helpers the claims tests share: an admitted, charged and discharged episode."""

import datetime as dt
from decimal import Decimal

from nrcms.claims.desk import episode_discharge
from nrcms.claims.desk_admission import AdmissionInput, admission_register
from nrcms.claims.desk_charges import ChargeInput, charges_upload

ADMIT, DISCHARGE = dt.date(2026, 5, 10), dt.date(2026, 5, 20)


def admitted(desk, person, serial="ZY1", lines=None, discharge=DISCHARGE, admit=ADMIT):
    episode, _ = admission_register(actor=desk, data=AdmissionInput(
        serial=serial, kind="inpatient", id_number=person.id_number, admission_date=admit, diagnosis_code="I63.9"))
    lines = lines or [("5001-ZL0001", "10", "30", "300.00"), ("5001-YP0106", "4", "1500", "6000.00"),
                      ("5001-YP0201", "2", "350", "700.00")]
    result = charges_upload(actor=desk, episode=episode, lines=[
        ChargeInput(line_no=n, facility_item_code=code, item_name="x", charged_on=admit, quantity=Decimal(q),
                    unit_price=Decimal(p), amount=Decimal(a)) for n, (code, q, p, a) in enumerate(lines, start=1)])
    assert result.ok, result.errors
    if discharge:
        episode = episode_discharge(actor=desk, episode=episode, discharge_date=discharge)
    return episode



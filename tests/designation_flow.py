"""Changing a facility's designation status the only way there is (issue 12): the county office (reviewer) asks,
the director approves. For tests that need a suspended or revoked facility."""

from __future__ import annotations

import datetime as dt

from nrcms.facilities.designation import designation_approve, designation_request

ACTIONS = {"suspended": "suspend", "revoked": "revoke", "designated": "reinstate"}


def designation_change(demo, facility, status: str, effective_date: dt.date, reason: str,
                       today: dt.date | None = None, authority: str = ""):
    """The DesignationChange an approved request records; `today` lets a test date a change in the past."""
    today = today or min(effective_date, dt.date.today())
    request = designation_request(actor=demo["reviewer"], facility=facility, action=ACTIONS[status],
                                  effective_date=effective_date, reason=reason, authority=authority, today=today)
    return designation_approve(actor=demo["director"], request=request, today=today).change

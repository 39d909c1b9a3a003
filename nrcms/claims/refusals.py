"""The one wording of a refusal (不予补偿), shared by the desk's settlement, its trial page and the voucher's
reader: the engine's refusal codes, with the facility's designation status spelt out when that is the reason."""

from __future__ import annotations

from nrcms.facilities.models import DesignationStatus
from nrcms.facilities.services import facility_status_on
from nrcms.policy import Refusal


def refusal_text(episode, result) -> str:
    """不予补偿：… once, with the facility's designation status spelt out when that is the reason (a suspended
    or revoked facility is 暂停定点 / 取消定点, not merely “非定点”)."""
    on = episode.discharge_date or episode.admission_date
    status = facility_status_on(episode.facility, on)
    reasons = []
    for code in result.refused:
        if code == Refusal.NON_DESIGNATED and status != DesignationStatus.DESIGNATED:
            label = "暂停定点" if status == DesignationStatus.SUSPENDED else "取消定点"
            reasons.append(f"{episode.facility.name}自 {on} 起处于{label}状态，按方案不予补偿")
        else:
            reasons.append(Refusal(code).message)
    return "不予补偿：" + "；".join(reasons)

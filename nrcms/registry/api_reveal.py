"""The one API operation that answers a person's full ID and phone numbers: a POST with a reason, allowed to the
roles holding Cap.PERSONAL_DATA_REVEAL within their jurisdiction, audited as `person.reveal`. Every other
operation answers them masked (nrcms/api/masked.py)."""

from __future__ import annotations

from ninja import Field, Router, Schema

from nrcms.accounts.roles import Cap
from nrcms.api.auth import requires
from nrcms.api.base import ERRORS

from .reveal import REASON_MAX, person_reveal

router = Router(tags=["家庭户与参合"], auth=requires(Cap.PERSONAL_DATA_REVEAL))


class RevealIn(Schema):
    reason: str = Field(max_length=REASON_MAX, description="查看完整号码的原因（必填，记入审计记录）")


class RevealedPersonOut(Schema):
    id: int
    name: str
    id_number: str = Field(description="完整身份证号")
    phone: str = Field(description="本人完整电话")
    household_phone: str = Field(description="户联系电话（完整）")


@router.post("/persons/{pk}/reveal", response={200: RevealedPersonOut, **ERRORS},
             summary="查看一名人员的完整身份证号和电话（须填原因，记入审计）",
             description="其他接口只返回脱敏号码（610125********1234、139****5678）。本接口仅限县合管办审核员、"
                         "乡镇经办员（本辖区人员）调用，每次调用记入审计记录（操作 person.reveal，含原因）。")
def person_reveal_api(request, pk: int, payload: RevealIn):
    r = person_reveal(actor=request.user, person_pk=pk, reason=payload.reason)
    return {"id": r.person_id, "name": r.name, "id_number": r.id_number, "phone": r.phone,
            "household_phone": r.household_phone}

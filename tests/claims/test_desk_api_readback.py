"""The desk API after settlement: the admission reads back its settlement, and an Idempotency-Key whose
settlement has been reversed cannot settle again (a resettlement needs a new key)."""

import json

import pytest
from claims_factory import admitted

from nrcms.accounts.services import api_token_create
from nrcms.claims.models import Settlement
from nrcms.claims.settlement import settlement_reverse, settlement_settle
from nrcms.core.errors import Conflict

pytestmark = pytest.mark.django_db


@pytest.fixture
def his(client, demo):
    _, key = api_token_create(actor=None, user=demo["desk_county"], name="HIS")

    def call(method, path, body=None, **headers):
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {key}", **headers}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        response = getattr(client, method)(f"/api/desk{path}", **kwargs)
        return response.status_code, json.loads(response.content)

    return call


def test_the_admission_reads_back_its_settlement_number_and_amounts_once_settled(his, demo, family):
    desk = demo["desk_county"]
    episode = admitted(desk, family.head, "ZY-RB")
    status, before = his("get", "/episodes/ZY-RB")
    assert status == 200 and before["status"] == "discharged" and before["settlement"] is None
    status, settled = his("post", "/episodes/ZY-RB/settle", HTTP_IDEMPOTENCY_KEY="rb-1")
    assert status == 201
    status, after = his("get", "/episodes/ZY-RB")
    stored = Settlement.objects.get(episode=episode)
    assert status == 200 and after["status"] == "settled"
    assert after["settlement"]["number"] == settled["number"] == stored.number
    for name in ("total_cost", "eligible_cost", "deductible", "basic", "fund_total", "self_pay", "facility_borne"):
        assert after["settlement"][name] == f"{getattr(stored, name):.2f}", name
    assert after["settlement"]["fund_total"] == settled["fund_total"]
    listed = his("get", "/episodes?status=settled&limit=500")[1]["items"]
    assert [e["settlement"]["number"] for e in listed if e["serial"] == "ZY-RB"] == [stored.number]
    his("post", f"/settlements/{stored.number}/reverse", {"reason": "费用录入错误"})
    assert his("get", "/episodes/ZY-RB")[1]["settlement"] is None


def test_a_key_whose_settlement_was_reversed_is_refused_and_says_a_new_key_is_needed(his, demo, family):
    desk = demo["desk_county"]
    episode = admitted(desk, family.head, "ZY-IK")
    first, _ = settlement_settle(actor=desk, episode=episode, idempotency_key="ik-1")
    reversal = settlement_reverse(actor=desk, settlement=first, reason="诊断录错")
    with pytest.raises(Conflict) as exc:
        settlement_settle(actor=desk, episode=episode, idempotency_key="ik-1")
    assert exc.value.code == "idempotency_key_reversed" and exc.value.field == "idempotency_key"
    assert first.number in exc.value.message and reversal.number in exc.value.message
    assert "新的幂等键" in exc.value.message
    status, error = his("post", "/episodes/ZY-IK/settle", HTTP_IDEMPOTENCY_KEY="ik-1")
    assert status == 409 and error["code"] == "idempotency_key_reversed" and "新的幂等键" in error["message"]
    assert Settlement.objects.filter(episode=episode, kind="settlement").count() == 1
    status, again = his("post", "/episodes/ZY-IK/settle", HTTP_IDEMPOTENCY_KEY="ik-2")
    assert status == 201 and again["number"] != first.number and again["status"] == "active"
    # the new key now repeats the resettlement; the old one is still refused
    assert his("post", "/episodes/ZY-IK/settle", HTTP_IDEMPOTENCY_KEY="ik-2")[1]["number"] == again["number"]
    assert his("post", "/episodes/ZY-IK/settle", HTTP_IDEMPOTENCY_KEY="ik-1")[0] == 409

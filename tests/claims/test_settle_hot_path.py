"""What the settle API's hot path was trimmed to, checked for what it must still guarantee: the token's
last use recorded (once a minute), settlement numbers unique and increasing (taken from a sequence on
PostgreSQL, a rolled-back number left unused), the audit chain intact with the record written last."""

import datetime as dt

import pytest
from claims_factory import admitted
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from nrcms.accounts.audit_verification import audit_verify
from nrcms.accounts.models import ApiToken, AuditEntry
from nrcms.accounts.services import api_token_create, api_token_user
from nrcms.claims.settlement import settlement_reverse, settlement_settle
from nrcms.registry.people import sequence_take

pytestmark = pytest.mark.django_db


def test_the_token_last_use_is_written_at_most_once_a_minute(demo):
    token, key = api_token_create(actor=None, user=demo["desk_county"], name="HIS")
    assert api_token_user(key) == demo["desk_county"]
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    assert api_token_user(key) == demo["desk_county"]
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first  # a second call within the minute: unchanged
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(minutes=2))
    assert api_token_user(key) == demo["desk_county"]
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first - dt.timedelta(minutes=1)
    assert api_token_user("nr_wrong") is None


def test_settlement_numbers_are_unique_and_increasing_and_the_chain_verifies(demo, family):
    desk = demo["desk_county"]
    first, _ = settlement_settle(actor=desk, episode=admitted(desk, family.head, "N-1"), idempotency_key="n-1")
    second, _ = settlement_settle(actor=desk, episode=admitted(desk, family.spouse, "N-2"))
    reversal = settlement_reverse(actor=desk, settlement=second, reason="诊断录错")
    assert first.number.startswith("JS2026") and second.number.startswith("JS2026") and len(first.number) == 13
    assert int(second.number[6:]) > int(first.number[6:])
    assert reversal.number.startswith("CZ2026") and len(reversal.number) == 13
    again, created = settlement_settle(actor=desk, episode=first.episode, idempotency_key="n-1")
    assert not created and again.pk == first.pk and again.number == first.number
    # The audit record is the last write of each settlement and the chain holds end to end.
    last = AuditEntry.objects.order_by("-seq")[0]
    assert (last.action, last.object_id) == ("settlement.reverse", str(second.pk))
    assert audit_verify().ok


def test_a_rolled_back_number_is_left_unused_on_postgresql_and_given_back_on_sqlite():
    taken = sequence_take("test-gaps-2026", gaps=True)
    with pytest.raises(RuntimeError), transaction.atomic():
        sequence_take("test-gaps-2026", gaps=True)
        raise RuntimeError("the settlement fails after taking its number")
    after = sequence_take("test-gaps-2026", gaps=True)
    assert after == (taken + 2 if connection.vendor == "postgresql" else taken + 1)
    if connection.vendor == "postgresql":
        with pytest.raises(ValueError):  # a sequence hands out one number at a time
            sequence_take("test-gaps-2026", 2, gaps=True)
    else:
        assert sequence_take("test-gaps-2026", 2, gaps=True) == after + 1  # the row reserves a block


def test_the_settle_api_returns_the_first_settlement_on_a_retry(demo, family):
    desk = demo["desk_county"]
    episode = admitted(desk, family.head, "API-1")
    _, key = api_token_create(actor=None, user=desk, name="HIS")
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_IDEMPOTENCY_KEY": "his-api-1"}
    one = client.post(f"/api/desk/episodes/{episode.serial}/settle", **headers)
    two = client.post(f"/api/desk/episodes/{episode.serial}/settle", **headers)
    assert (one.status_code, two.status_code) == (201, 200)
    assert one.json()["number"] == two.json()["number"] and one.json()["fund_total"] == "3450.00"
    assert ApiToken.objects.get(user=desk, name="HIS").last_used_at <= timezone.now()

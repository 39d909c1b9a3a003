"""Issue #10: the desk's member lookup is rate-limited per API token (per signed-in user on the page), in the
database so that the limit holds across workers; beyond it 429 with a Chinese message in the API's error
format, the window's refusals audited once."""

import datetime as dt

import pytest
from django.utils import timezone

from nrcms.accounts.models import AuditEntry, RateCounter
from nrcms.accounts.rate_limit import rate_take
from nrcms.accounts.services import api_token_create

pytestmark = pytest.mark.django_db
LIMIT = 3
TOO_OFTEN = "查询过于频繁，请稍后再试"


@pytest.fixture
def limited(settings):
    settings.NRCMS_DESK_LOOKUP_PER_MINUTE = LIMIT


def _id_number(demo) -> str:
    from nrcms.registry.models import Person

    return Person.objects.filter(status="active").values_list("id_number", flat=True).first()


def _refusals():
    return AuditEntry.objects.filter(action="desk.lookup_limited")


def test_rate_take_counts_refuses_beyond_the_limit_reports_the_first_refusal_once_and_opens_a_new_window(db):
    decisions = [rate_take(scope="t", key="k", limit=LIMIT) for _ in range(LIMIT + 2)]
    assert [d.allowed for d in decisions] == [True] * LIMIT + [False, False]
    assert [d.first_refusal for d in decisions] == [False] * LIMIT + [True, False]
    assert 1 <= decisions[-1].retry_after <= 61
    RateCounter.objects.filter(scope="t", key="k").update(window_start=timezone.now() - dt.timedelta(seconds=61))
    again = rate_take(scope="t", key="k", limit=LIMIT)
    assert again.allowed and again.hits == 1
    assert rate_take(scope="t", key="other", limit=LIMIT).allowed  # each client its own counter


def test_api_token_beyond_the_limit_gets_429_in_the_error_format_and_one_audit_row(client, demo, limited):
    _, key = api_token_create(actor=demo["secadmin"], user=demo["desk_county"], name="HIS 接口")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    id_number = _id_number(demo)
    codes = [client.get("/api/desk/members", {"id_number": id_number}, **auth).status_code for _ in range(LIMIT)]
    assert codes == [200] * LIMIT
    refused = [client.get("/api/desk/members", {"id_number": id_number}, **auth) for _ in range(3)]
    assert [r.status_code for r in refused] == [429] * 3
    body = refused[0].json()
    assert body["code"] == "rate_limited" and TOO_OFTEN in body["message"] and f"{LIMIT} 次" in body["message"]
    assert set(body) == {"code", "message", "field", "details"}
    assert int(refused[0]["Retry-After"]) >= 1
    rows = list(_refusals())
    assert len(rows) == 1 and rows[0].actor_username == "desk_county" and rows[0].after["limit"] == LIMIT
    assert key not in str(rows[0].after) and key not in rows[0].object_id  # the key itself is never recorded
    # A refused lookup reads nothing: no search row beyond the LIMIT allowed ones.
    assert AuditEntry.objects.filter(action="person.search_id").count() == LIMIT


def test_the_limit_is_per_token_and_the_page_counts_per_user(client, login, demo, limited):
    _, first = api_token_create(actor=demo["secadmin"], user=demo["desk_county"], name="HIS 一")
    _, second = api_token_create(actor=demo["secadmin"], user=demo["desk_county"], name="HIS 二")
    id_number = _id_number(demo)
    for _ in range(LIMIT):
        client.get("/api/desk/members", {"id_number": id_number}, HTTP_AUTHORIZATION=f"Bearer {first}")
    assert client.get("/api/desk/members", {"id_number": id_number},
                      HTTP_AUTHORIZATION=f"Bearer {first}").status_code == 429
    assert client.get("/api/desk/members", {"id_number": id_number},
                      HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 200
    login("desk_county")
    pages = [client.get("/desk/", {"id_number": id_number}) for _ in range(LIMIT + 1)]
    assert [p.status_code for p in pages] == [200] * LIMIT + [429]
    assert TOO_OFTEN in pages[-1].content.decode()
    htmx = client.get("/desk/", {"id_number": id_number, "part": "card"}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 429 and TOO_OFTEN in htmx.content.decode()
    assert _refusals().count() == 2  # the first token's window and the page user's window, once each


def test_the_default_is_thirty_a_minute(settings):
    from config.settings import base

    assert base.NRCMS_DESK_LOOKUP_PER_MINUTE == 30

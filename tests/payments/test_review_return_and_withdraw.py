"""Review's second thoughts: a deduction withdrawn in review, a statement sent back to the hospital and
submitted again, approval and desk reversal asking for confirmation, the reconciliation date's default."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from payments_factory import at, reversed_, settled

from nrcms.accounts.models import AuditEntry
from nrcms.accounts.services import api_token_create
from nrcms.claims.models import Settlement
from nrcms.core.errors import Forbidden, ValidationFailed
from nrcms.funding.models import JournalLine
from nrcms.payments.models import FacilityStatement, StatementDeduction
from nrcms.payments.review import statement_deduction_withdraw, statement_resubmit, statement_return
from nrcms.payments.services import (
    statement_approve,
    statement_deduct,
    statement_generate,
    statement_review_start,
)

pytestmark = pytest.mark.django_db
NUMBER = "YJ202609-H610125001"


@pytest.fixture
def statement(demo, patients):
    """County hospital, September 2026: fund 3450.00 (A + B − D's reversal), generated and taken into review."""
    desk, p = demo["desk_county"], patients.people
    settled(desk, p[0], "ZY-A", at(2026, 9, 3))
    settled(desk, p[1], "ZY-B", at(2026, 9, 10))
    reversed_(desk, settled(desk, p[3], "ZY-D", at(2026, 8, 20)), at(2026, 9, 5))
    st, _ = statement_generate(actor=demo["reviewer"], facility=demo["desk_county"].facility, month="2026-09")
    return statement_review_start(actor=demo["reviewer"], statement=st)


def _deduct(demo, st, base="100.00", multiplier="1.5", reason="超标准收费"):
    return statement_deduct(actor=demo["reviewer"], statement=st, kind="loss", base_amount=base,
                            multiplier=multiplier, reason=reason)


def _caller(client, username):
    from nrcms.accounts.models import User

    _, key = api_token_create(actor=None, user=User.objects.get(username=username), name="test")

    def call(method, path, body=None):
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        response = getattr(client, method)(f"/api/payments{path}", **kwargs)
        return response.status_code, json.loads(response.content)

    return call


# --- 5. withdrawing a deduction --------------------------------------------------------------------

def test_a_withdrawn_deduction_no_longer_counts_and_is_kept_with_its_reason(demo, statement):
    first = _deduct(demo, statement)                                     # 150.00
    second = _deduct(demo, statement, base="200.00", multiplier="2", reason="串换药品")  # 400.00
    assert FacilityStatement.objects.get(pk=statement.pk).deduction_total == Decimal("550.00")
    with pytest.raises(ValidationFailed) as exc:
        statement_deduction_withdraw(actor=demo["reviewer"], statement=statement, deduction_id=first.pk, reason=" ")
    assert exc.value.field == "reason" and "撤销原因" in exc.value.message
    statement_deduction_withdraw(actor=demo["reviewer"], statement=statement, deduction_id=first.pk,
                                 reason="医院补交了医嘱，收费合规")
    st = FacilityStatement.objects.get(pk=statement.pk)
    first.refresh_from_db()
    assert st.deduction_total == Decimal("400.00") and first.withdrawn_by == demo["reviewer"]
    assert first.withdrawal_reason == "医院补交了医嘱，收费合规"
    entry = AuditEntry.objects.filter(action="statement.deduction_withdraw").get()
    assert entry.reason == "医院补交了医嘱，收费合规" and entry.after["deduction_total"] == "400.00"
    with pytest.raises(ValidationFailed) as exc:  # twice is refused
        statement_deduction_withdraw(actor=demo["reviewer"], statement=st, deduction_id=first.pk, reason="再撤")
    assert exc.value.code == "already_withdrawn"
    # approval posts only the deduction still standing
    st = statement_approve(actor=demo["reviewer"], statement=st)
    assert st.approved_amount == Decimal("3050.00")  # 3450.00 − 400.00
    posted = JournalLine.objects.filter(entry__kind="violation_deduction", account__code="3101")
    assert sum(line.credit for line in posted) == Decimal("400.00")
    with pytest.raises(ValidationFailed) as exc:  # after approval nothing can be withdrawn
        statement_deduction_withdraw(actor=demo["reviewer"], statement=st, deduction_id=second.pk, reason="晚了")
    assert exc.value.code == "invalid_status"


def test_only_a_reviewer_withdraws_a_deduction(demo, statement):
    d = _deduct(demo, statement)
    with pytest.raises(Forbidden):
        statement_deduction_withdraw(actor=demo["desk_county"], statement=statement, deduction_id=d.pk, reason="我方不同意")


def test_withdrawing_through_the_api_and_the_page(client, login, demo, statement):
    d = _deduct(demo, statement)
    reviewer = _caller(client, "reviewer")
    status, error = reviewer("post", f"/statements/{NUMBER}/deductions/{d.pk}/withdraw", {"reason": ""})
    assert status == 422 and error["field"] == "reason"
    status, st = reviewer("post", f"/statements/{NUMBER}/deductions/{d.pk}/withdraw", {"reason": "复核无误"})
    assert status == 200 and st["deduction_total"] == "0.00"
    assert st["deductions"][0]["withdrawn"] is True and st["deductions"][0]["withdrawal_reason"] == "复核无误"
    d2 = _deduct(demo, statement)
    login("reviewer")
    url = f"/payments/statements/{statement.pk}/"
    page = client.get(url).content.decode()
    assert f'data-testid="withdraw-form-{d2.pk}"' in page and "已撤销" in page
    response = client.post(url, {"action": "withdraw", "deduction": d2.pk, "reason": "医院申诉成立"})
    assert response.status_code == 302
    assert StatementDeduction.objects.get(pk=d2.pk).withdrawal_reason == "医院申诉成立"
    assert FacilityStatement.objects.get(pk=statement.pk).deduction_total == Decimal("0.00")


# --- 6. sending a statement back ---------------------------------------------------------------------

def test_a_statement_sent_back_shows_the_reason_to_the_desk_who_resubmits_it(client, login, demo, statement):
    with pytest.raises(ValidationFailed) as exc:
        statement_return(actor=demo["reviewer"], statement=statement, reason="")
    assert exc.value.field == "reason" and "退回原因" in exc.value.message
    with pytest.raises(Forbidden):
        statement_return(actor=demo["desk_county"], statement=statement, reason="自己退回")
    st = statement_return(actor=demo["reviewer"], statement=statement, reason="9 月 10 日住院病历缺出院小结，请补充")
    assert st.status == "returned" and st.returned_by == demo["reviewer"]
    with pytest.raises(ValidationFailed) as exc:  # a returned statement cannot be approved
        statement_approve(actor=demo["reviewer"], statement=st)
    assert exc.value.code == "invalid_status"

    login("desk_county")
    listing = client.get("/payments/statements/").content.decode()
    assert "退回原因：9 月 10 日住院病历缺出院小结" in listing
    detail = client.get(f"/payments/statements/{st.pk}/").content.decode()
    assert 'data-testid="return-notice"' in detail and 'data-testid="resubmit-form"' in detail
    response = client.post(f"/payments/statements/{st.pk}/", {"action": "resubmit", "note": ""})
    assert response.status_code == 200 and FacilityStatement.objects.get(pk=st.pk).status == "returned"
    with pytest.raises(Forbidden):  # another facility's desk may not answer for it
        statement_resubmit(actor=demo["desk_ganting"], statement=st, note="代报")
    response = client.post(f"/payments/statements/{st.pk}/", {"action": "resubmit", "note": "已补充出院小结"})
    assert response.status_code == 302
    st = FacilityStatement.objects.get(pk=st.pk)
    assert (st.status, st.resubmission_note, st.fund_total, st.lines.count()) == (
        "submitted", "已补充出院小结", Decimal("3450.00"), 3)
    assert st.reviewed_by is None and st.return_reason  # the reason stays readable on the statement
    actions = list(AuditEntry.objects.filter(object_id=str(st.pk), object_type="payments.facilitystatement")
                   .values_list("action", flat=True).order_by("seq"))
    assert actions[-2:] == ["statement.return", "statement.resubmit"]
    # and the reviewer takes it into review again
    assert statement_review_start(actor=demo["reviewer"], statement=st).status == "in_review"


def test_sending_back_and_resubmitting_through_the_api(client, demo, statement):
    reviewer, desk = _caller(client, "reviewer"), _caller(client, "desk_county")
    status, error = reviewer("post", f"/statements/{NUMBER}/return", {"reason": ""})
    assert status == 422 and error["field"] == "reason"
    status, st = reviewer("post", f"/statements/{NUMBER}/return", {"reason": "请核对跨月冲正"})
    assert status == 200 and (st["status"], st["return_reason"], st["returned_by"]) == (
        "returned", "请核对跨月冲正", "reviewer")
    status, error = reviewer("post", f"/statements/{NUMBER}/resubmit", {"note": "代报"})
    assert status == 403
    status, st = desk("post", f"/statements/{NUMBER}/resubmit", {"note": "已核对，冲正为 8 月结算的更正"})
    assert status == 200 and st["status"] == "submitted" and st["resubmission_note"].startswith("已核对")
    status, error = desk("post", f"/statements/{NUMBER}/resubmit", {"note": "再报"})
    assert status == 422 and error["code"] == "invalid_status"
    schema = client.get("/api/openapi.json").json()["paths"]
    assert "/api/payments/statements/{number}/return" in schema
    assert "/api/payments/statements/{number}/deductions/{deduction_id}/withdraw" in schema


# --- 7. confirmation before approval and reversal ------------------------------------------------------

def test_desk_reversal_asks_for_confirmation_before_reversing(client, login, demo, patients):
    s = settled(demo["desk_county"], patients.people[0], "ZY-R", at(2026, 9, 3))
    login("desk_county")
    url = f"/desk/settlements/{s.pk}/reverse/"
    page = client.post(url, {"reason": "费用录入错误"})
    assert page.status_code == 200 and 'data-testid="reverse-confirm"' in page.content.decode()
    assert s.number in page.content.decode() and Settlement.objects.get(pk=s.pk).status == "active"
    response = client.post(url, {"reason": "费用录入错误", "confirm": "1"})
    assert response.status_code == 302 and Settlement.objects.get(pk=s.pk).status != "active"


# --- 8. the reconciliation date --------------------------------------------------------------------------

def test_the_reconciliation_date_starts_at_yesterday_in_iso(client, login):
    from django.utils import timezone

    login("desk_county")
    page = client.get("/payments/reconciliation/").content.decode()
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    assert f'name="date" value="{yesterday.isoformat()}"' in page

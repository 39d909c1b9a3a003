"""The desk hook (a warning at trial, a block refusing), the monthly batch, and the queue's decisions flowing
into the facility's statement and, at approval, the ledger — with the second reviewer and the carry."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from nrcms.accounts.models import AuditEntry, User
from nrcms.claims.desk import episode_discharge
from nrcms.claims.desk_admission import AdmissionInput, admission_register
from nrcms.claims.desk_charges import ChargeInput, charges_upload
from nrcms.claims.settlement import settlement_settle, settlement_trial_checked
from nrcms.core.errors import Forbidden, ValidationFailed
from nrcms.funding.models import JournalEntry
from nrcms.payments.models import StatementStatus
from nrcms.payments.services import statement_approve, statement_generate
from nrcms.supervision.batch import run_execute, run_start
from nrcms.supervision.models import AuditHit, DecisionStatus, HitStatus, SamplingRate
from nrcms.supervision.review import decision_confirm, hit_decide, pending_deductions_post
from tests.payments.payments_factory import INPATIENT_LINES, at, move

JUNE = dt.date(2026, 6, 1)
TODAY = dt.date(2026, 12, 7)


def short_stay(desk, person, serial, admit=dt.date(2026, 6, 10), days=1):
    """A county-hospital stay of `days` days (7000.00 total, fund 3450.00), not yet settled."""
    episode, _ = admission_register(actor=desk, data=AdmissionInput(
        serial=serial, kind="inpatient", id_number=person.id_number, admission_date=admit, diagnosis_code="I63.9"))
    assert charges_upload(actor=desk, episode=episode, lines=[
        ChargeInput(line_no=n, facility_item_code=code, item_name="x", charged_on=admit, quantity=Decimal(q),
                    unit_price=Decimal(p), amount=Decimal(a))
        for n, (code, q, p, a) in enumerate(INPATIENT_LINES, start=1)]).ok
    return episode_discharge(actor=desk, episode=episode, discharge_date=admit + dt.timedelta(days=days))


def sample_all(demo):
    SamplingRate.objects.create(facility=demo["desk_county"].facility, rate=Decimal("1"), reason="测试：全部抽查",
                                set_by=demo["reviewer"])


def june_hit(demo, patients, serial="ZS1", who=0):
    desk = demo["desk_county"]
    settlement, _ = settlement_settle(actor=desk, episode=short_stay(desk, patients.people[who], serial))
    move(settlement, at(2026, 6, 11))
    # the desk stored its hit in the month it settled (today's); the factory moved the settlement into June
    AuditHit.objects.filter(settlement=settlement).update(month=JUNE)
    run = run_execute(run_start(actor=demo["reviewer"], month="2026-06"))
    assert run.status == "done" and run.total >= 1
    return settlement, AuditHit.objects.get(rule_code="DZ1", settlement=settlement)


def test_a_warn_rule_shows_at_trial_and_a_block_rule_refuses_with_its_text(demo, patients):
    desk = demo["desk_county"]
    episode = short_stay(desk, patients.people[0], "ZS-T1")
    result, warnings = settlement_trial_checked(actor=desk, episode=episode)
    assert result.fund_total == Decimal("3450.00")
    assert [w["code"] for w in warnings] == ["DZ1"] and "住院 1 天" in warnings[0]["message"]
    long = short_stay(desk, patients.people[1], "ZS-T2", days=5)
    assert settlement_trial_checked(actor=desk, episode=long)[1] == []
    person = patients.people[1]
    person.status, person.status_date = "deceased", dt.date(2026, 6, 9)  # died before the care was charged
    person.save()
    with pytest.raises(ValidationFailed, match="死亡后发生费用") as refused:
        settlement_trial_checked(actor=desk, episode=long)
    assert refused.value.code == "audit_rule_block"
    with pytest.raises(ValidationFailed, match="SW 死亡后发生费用"):
        settlement_settle(actor=desk, episode=long)


def test_the_api_trial_answers_the_warnings(demo, patients, login, client):
    episode = short_stay(demo["desk_county"], patients.people[0], "ZS-A1")
    login("desk_county")
    body = client.post(f"/api/desk/episodes/{episode.serial}/trial").json()
    assert [w["code"] for w in body["audit_warnings"]] == ["DZ1"]
    page = client.get(f"/desk/episodes/{episode.pk}/trial/").content.decode()
    assert "智能审核提示" in page and "住院不超过1天" in page


def test_settling_stores_the_warning_and_the_batch_adds_no_duplicate(demo, patients):
    sample_all(demo)
    settlement, hit = june_hit(demo, patients)
    assert hit.stage == "settle" and hit.in_queue and hit.evidence["figures"] == {"days": 1, "max_days": 1}
    call_command("supervise_run", month="2026-06")
    assert AuditHit.objects.filter(rule_code="DZ1", settlement=settlement).count() == 1


def test_a_deduction_flows_into_the_statement_and_at_approval_into_the_ledger(demo, patients):
    sample_all(demo)
    reviewer = demo["reviewer"]
    settlement, hit = june_hit(demo, patients)
    decision = hit_decide(actor=reviewer, hit=hit, kind="deduct", reason="不符合入院指征", base_amount="100.00",
                          multiplier="1.5", violation_kind="loss")
    assert decision.status == DecisionStatus.PENDING_STATEMENT  # no June statement yet
    statement, _ = statement_generate(actor=None, facility=settlement.episode.facility, month=JUNE, today=TODAY)
    assert pending_deductions_post(actor=reviewer) == (1, 0)
    decision.refresh_from_db()
    statement.refresh_from_db()
    assert decision.status == DecisionStatus.APPLIED and decision.deduction.amount == Decimal("150.00")
    assert decision.deduction.settlement == settlement and statement.status == StatementStatus.IN_REVIEW
    assert statement.deduction_total == Decimal("150.00")
    statement_approve(actor=reviewer, statement=statement)
    entry = JournalEntry.objects.get(kind="violation_deduction", source_id=str(decision.deduction.pk))
    assert sum(line.debit for line in entry.lines.all()) == Decimal("150.00")


def test_after_approval_a_deduction_is_carried_to_the_next_open_statement(demo, patients):
    sample_all(demo)
    reviewer = demo["reviewer"]
    settlement, hit = june_hit(demo, patients)
    facility = settlement.episode.facility
    june, _ = statement_generate(actor=None, facility=facility, month=JUNE, today=TODAY)
    from nrcms.payments.services import statement_review_start
    statement_approve(actor=reviewer, statement=statement_review_start(actor=reviewer, statement=june))
    july_one, _ = settlement_settle(actor=demo["desk_county"],
                                    episode=short_stay(demo["desk_county"], patients.people[1], "ZS-J7",
                                                       admit=dt.date(2026, 7, 1), days=4))
    move(july_one, at(2026, 7, 6))
    july, _ = statement_generate(actor=None, facility=facility, month=dt.date(2026, 7, 1), today=TODAY)
    decision = hit_decide(actor=reviewer, hit=hit, kind="deduct", reason="挂床住院", base_amount="200.00",
                          multiplier="2", violation_kind="loss")
    assert decision.status == DecisionStatus.APPLIED and decision.deduction.statement == july
    assert decision.deduction.settlement is None  # the June settlement is not on July's statement
    july.refresh_from_db()
    assert july.deduction_total == Decimal("400.00")


def test_a_deduction_above_the_threshold_needs_a_different_second_reviewer(demo, patients):
    sample_all(demo)
    reviewer = demo["reviewer"]
    second = User.objects.create(username="reviewer2", display_name="第二审核员", role="county_reviewer",
                                 region=reviewer.region)
    _, hit = june_hit(demo, patients)
    decision = hit_decide(actor=reviewer, hit=hit, kind="deduct", reason="欺诈骗保", base_amount="1000.00",
                          multiplier="3", violation_kind="fraud")
    assert decision.amount == Decimal("3000.00") and decision.status == DecisionStatus.AWAITING_SECOND
    hit.refresh_from_db()
    assert hit.status == HitStatus.AWAITING_SECOND
    with pytest.raises(Forbidden):
        decision_confirm(actor=reviewer, decision=decision)
    decision = decision_confirm(actor=second, decision=decision)
    assert decision.confirmed_by == second and decision.status == DecisionStatus.PENDING_STATEMENT


def test_refund_refer_and_accept_with_a_reason_each_audited(demo, patients):
    sample_all(demo)
    reviewer = demo["reviewer"]
    _, hit = june_hit(demo, patients)
    with pytest.raises(ValidationFailed, match="理由"):
        hit_decide(actor=reviewer, hit=hit, kind="accept", reason=" ")
    hit_decide(actor=reviewer, hit=hit, kind="refer", reason="请专家评审病历")
    hit.refresh_from_db()
    assert hit.status == HitStatus.REFERRED
    refund = hit_decide(actor=reviewer, hit=hit, kind="refund", reason="多收患者费用", refund_amount="50.00")
    assert refund.status == DecisionStatus.REFUND_PENDING and refund.get_status_display() == "待退还"
    from nrcms.payments.models import PatientRefund

    (registered,) = PatientRefund.objects.filter(settlement=hit.settlement)  # the payments side takes it from here
    assert registered.amount == Decimal("50.00") and registered.reason_kind == "unreasonable_charge"
    assert f"#{hit.pk}" in registered.authority
    with pytest.raises(ValidationFailed, match="不能重复处理"):
        hit_decide(actor=reviewer, hit=hit, kind="accept", reason="再看")
    assert AuditEntry.objects.filter(action="supervision.decide").count() >= 2


def test_committee_reads_the_queue_read_only_and_the_reads_are_logged(demo, patients, login, client):
    sample_all(demo)
    _, hit = june_hit(demo, patients)
    login("committee")
    assert "住院不超过1天" in client.get("/supervision/queue/?month=2026-06").content.decode()
    page = client.get(f"/supervision/hits/{hit.pk}/").content.decode()
    assert "decision-form" not in page and "证据" in page
    assert client.post(f"/supervision/hits/{hit.pk}/", {"kind": "accept", "reason": "x"}).status_code == 403
    assert client.post(f"/api/supervision/hits/{hit.pk}/decisions",
                       {"kind": "accept", "reason": "x"}, content_type="application/json").status_code == 403
    assert AuditEntry.objects.filter(action="supervision.view", actor=demo["committee"]).count() >= 2
    xlsx = client.get("/supervision/hits/?month=2026-06&format=xlsx")
    assert xlsx.status_code == 200 and AuditEntry.objects.filter(action="export", actor=demo["committee"]).exists()


def test_the_reviewer_decides_through_the_api(demo, patients, login, client):
    sample_all(demo)
    _, hit = june_hit(demo, patients)
    login("reviewer")
    answer = client.post(f"/api/supervision/hits/{hit.pk}/decisions",
                         {"kind": "accept", "reason": "已核实病历，符合入院指征"}, content_type="application/json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["status"] == "decided" and answer.json()["decisions"][0]["kind"] == "accept"
    queue = client.get("/api/supervision/queue?month=2026-06").json()
    assert any(g["rule_code"] == "DZ1" and g["pending"] == 0 for g in queue)


def test_the_reviewers_home_page_counts_hits_to_decide_and_deductions_to_confirm(demo, patients):
    from nrcms.web.todo import todo_items

    sample_all(demo)
    reviewer = demo["reviewer"]
    _, hit = june_hit(demo, patients)
    todo = {i.key: i for i in todo_items(actor=reviewer)}
    opened = AuditHit.objects.filter(in_queue=True, status=HitStatus.OPEN).count()
    assert opened >= 1 and todo["audit-hits-open"].count == opened and todo["audit-hits-second"].count == 0
    assert todo["audit-hits-open"].url == "/supervision/hits/?status=open"
    hit_decide(actor=reviewer, hit=hit, kind="deduct", reason="欺诈骗保", base_amount="1000.00", multiplier="3",
               violation_kind="fraud")
    todo = {i.key: i for i in todo_items(actor=reviewer)}
    assert todo["audit-hits-open"].count == opened - 1 and todo["audit-hits-second"].count == 1
    assert "audit-hits-open" not in {i.key for i in todo_items(actor=demo["committee"])}

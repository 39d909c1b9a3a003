"""待办 on the home page: each role sees the work it can act on, counted within its jurisdiction, each item a
link to the list that holds it."""

import datetime as dt
import re
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from nrcms.claims import manual
from nrcms.claims.manual import ManualClaimInput, ReceiptLine, manual_claim_notice, manual_claim_record
from nrcms.claims.models import Referral
from nrcms.core.idnumber import make_id_number
from nrcms.facilities.models import Facility
from nrcms.payments.models import DailyReconciliation, FacilityStatement, StatementStatus
from nrcms.registry.models import Enrollment, Household, ImportJob, ImportStatus, Person, Region
from nrcms.web.todo import todo_items

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "claims"))
from claims_factory import admitted  # noqa: E402

pytestmark = pytest.mark.django_db


@dataclass
class Family:
    head: Person
    spouse: Person


@pytest.fixture
def family(demo):
    """Two enrolled members of a household in 甘亭镇东韩村一组 (this year and 2026)."""
    region = Region.objects.get(code="610125100201001")
    household = Household.objects.create(number="W6101251002010001", region=region, address="东韩村一组 9 号")
    people = []
    for n, (name, relation, birth, sex) in enumerate([("赵永福", "head", dt.date(1961, 4, 2), "M"),
                                                      ("钱秀芝", "spouse", dt.date(1964, 9, 8), "F")], start=1):
        person = Person.objects.create(id_number=make_id_number("610125", birth, 300 + n, sex), name=name, sex=sex,
                                       birth_date=birth, household=household, relation=relation)
        for year in {2026, timezone.localdate().year}:
            Enrollment.objects.create(person=person, household=household, scheme_year=year)
        people.append(person)
    return Family(*people)


def _counts(user) -> dict[str, int]:
    return {item.key: item.count for item in todo_items(actor=user)}


def _shown(client, key: str) -> tuple[int, str]:
    """(count, link) of one to-do item as the home page shows it."""
    html = client.get("/").content.decode()
    match = re.search(rf'data-testid="todo-{key}"><a class="button[^"]*" href="([^"]+)">[^<]*<b>(\d+)</b>', html)
    assert match, f"todo-{key} not on the home page"
    return int(match.group(2)), match.group(1).replace("&amp;", "&")


def test_the_reviewer_sees_statements_to_review_and_the_list_behind_the_link(client, login):
    login("reviewer")
    count, url = _shown(client, "statements-submitted")
    assert count == FacilityStatement.objects.filter(status=StatementStatus.SUBMITTED).count() > 0
    assert client.get(url).context["page"].paginator.count == count
    in_review, _ = _shown(client, "statements-in-review")
    assert in_review == FacilityStatement.objects.filter(status=StatementStatus.IN_REVIEW).count()


def test_finance_sees_statements_to_pay_and_not_the_reviewers_work(demo):
    statement = FacilityStatement.objects.filter(status=StatementStatus.SUBMITTED).first()
    before = _counts(demo["finance"])
    FacilityStatement.objects.filter(pk=statement.pk).update(status=StatementStatus.APPROVED,
                                                             approved_by=demo["director"],
                                                             approved_at=timezone.now(),
                                                             approved_amount=statement.fund_total)
    after = _counts(demo["finance"])
    assert after["statements-approved"] == before["statements-approved"] + 1
    assert set(after) == {"statements-approved"}


@pytest.mark.parametrize("username", ["committee", "auditor", "admin"])
def test_roles_that_act_on_nothing_listed_see_no_items(demo, username):
    assert todo_items(actor=demo[username]) == []


def test_manual_claims_whose_notice_ended_are_waiting_for_payment(client, login, demo, family, monkeypatch):
    today = timezone.localdate()
    xian = Facility.objects.get(code="H610100001")
    admit = today - dt.timedelta(days=40)
    Referral.objects.create(number="ZZ-TODO-1", person=family.head, to_facility=xian, approved_on=admit,
                            valid_until=admit + dt.timedelta(days=30), approved_by=demo["ganting"])
    monkeypatch.setattr(manual, "_today", lambda: admit + dt.timedelta(days=15))
    lines = (ReceiptLine("甲类费用合计", Decimal("3000.00"), "A"),)
    data = ManualClaimInput(id_number=family.head.id_number, facility_code="H610100001", admission_date=admit,
                            discharge_date=admit + dt.timedelta(days=5), papers_received_on=admit + dt.timedelta(days=10),
                            diagnosis_code="I21.9", diagnosis_name="急性心肌梗死", referral_number="ZZ-TODO-1",
                            lines=lines)
    claim, _ = manual_claim_record(actor=demo["reviewer"], data=data)
    before = _counts(demo["reviewer"])["manual-payable"]
    manual_claim_notice(actor=demo["reviewer"], claim=claim)  # noticed 25 days ago: the 15 days are over
    assert _counts(demo["reviewer"])["manual-payable"] == before + 1
    login("director")
    count, url = _shown(client, "manual-payable")
    assert count == before + 1 and claim.number in client.get(url).content.decode()


def test_a_desk_sees_referrals_to_its_facility_waiting_for_admission(demo, family):
    desk = demo["desk_county"]
    before, before_tcm = _counts(desk), _counts(demo["desk_tcm"])["desk-referrals"]
    today = timezone.localdate()
    Referral.objects.create(number="ZZ-TODO-2", person=family.head, to_facility=desk.facility,
                            approved_on=today - dt.timedelta(days=2), valid_until=today + dt.timedelta(days=20),
                            approved_by=demo["ganting"])
    Referral.objects.create(number="ZZ-TODO-3", person=family.spouse, to_facility=desk.facility,
                            approved_on=today - dt.timedelta(days=60), valid_until=today - dt.timedelta(days=1),
                            approved_by=demo["ganting"])  # expired: nothing to wait for
    assert _counts(desk)["desk-referrals"] == before["desk-referrals"] + 1
    assert _counts(demo["desk_tcm"])["desk-referrals"] == before_tcm  # not to the TCM hospital
    assert "desk-referrals" not in _counts(demo["reviewer"])
    episode = admitted(desk, family.head, serial="ZY-TODO", admit=today - dt.timedelta(days=1), discharge=None)
    episode.referral = Referral.objects.get(number="ZZ-TODO-2")
    episode.save(update_fields=["referral"])
    assert _counts(desk)["desk-referrals"] == before["desk-referrals"]


def test_a_desk_sees_its_discharged_admissions_waiting_for_settlement(client, login, demo, family):
    desk = demo["desk_county"]
    before, before_tcm = _counts(desk)["desk-discharged"], _counts(demo["desk_tcm"])["desk-discharged"]
    admitted(desk, family.head, serial="ZY-TODO-D")
    login("desk_county")
    count, url = _shown(client, "desk-discharged")
    assert count == before + 1
    assert "ZY-TODO-D" in client.get(url).content.decode()
    assert _counts(demo["desk_tcm"])["desk-discharged"] == before_tcm


def test_reconciliation_differences_count_the_days_whose_latest_submission_differs(demo):
    desk = demo["desk_county"]
    before = _counts(desk)["reconciliation-differences"]
    day = timezone.localdate() - dt.timedelta(days=3)

    def submit(result):
        return DailyReconciliation.objects.create(facility=desk.facility, date=day, result=result,
                                                  facility_totals={}, system_totals={}, submitted_by=desk)

    first = submit("mismatched")
    assert _counts(desk)["reconciliation-differences"] == before + 1
    assert _counts(demo["reviewer"])["reconciliation-differences"] >= before + 1
    later = submit("matched")
    DailyReconciliation.objects.filter(pk=later.pk).update(submitted_at=first.submitted_at + dt.timedelta(hours=1))
    assert _counts(desk)["reconciliation-differences"] == before


def test_a_township_clerk_sees_its_own_townships_imports_with_errors(demo):
    township = Region.objects.get(code="610125100000")
    before = {u: _counts(demo[u])["imports-with-errors"] for u in ("ganting", "yuxia", "reviewer")}
    ImportJob.objects.create(township=township, file_name="花名册.xlsx", file_hash="0" * 64, created_by=demo["ganting"],
                             status=ImportStatus.DONE, rows_total=10, rows_done=10, rows_error=2)
    ImportJob.objects.create(township=township, file_name="好的.xlsx", file_hash="1" * 64, created_by=demo["ganting"],
                             status=ImportStatus.DONE, rows_total=10, rows_done=10)
    assert _counts(demo["ganting"])["imports-with-errors"] == before["ganting"] + 1
    assert _counts(demo["yuxia"])["imports-with-errors"] == before["yuxia"]
    assert _counts(demo["reviewer"])["imports-with-errors"] == before["reviewer"] + 1
    assert "imports-with-errors" not in _counts(demo["desk_county"])


def test_the_clerks_outstanding_households_stay_on_the_home_page(client, login):
    login("ganting")
    html = client.get("/").content.decode()
    assert 'data-testid="home-outstanding"' in html and 'data-testid="todo-imports-with-errors"' in html
    assert html.count("<h2>待办</h2>") == 1


def test_the_clerks_to_do_counts_households_of_their_villages_by_status(client, login, demo):
    from nrcms.funding.outstanding import outstanding_households

    year = timezone.localdate().year
    for username in ("ganting", "donghan"):
        counts = _counts(demo[username])
        for status in ("unpaid", "partial", "not_enrolled"):
            expected = outstanding_households(actor=demo[username], scheme_year=year, status=status).count()
            assert counts[f"households-{status.replace('_', '-')}"] == expected, (username, status)
    login("donghan")
    count, url = _shown(client, "households-unpaid")
    assert count > 0 and url == f"/funding/outstanding/?year={year}&status=unpaid"
    assert "households-unpaid" not in _counts(demo["reviewer"])

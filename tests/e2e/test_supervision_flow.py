import datetime as dt
from decimal import Decimal

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_reviewer_works_the_queue_and_deducts(page, live_server, browser_login, shot, demo):
    from nrcms.claims.settlement import settlement_settle
    from nrcms.core.idnumber import make_id_number
    from nrcms.registry.models import Enrollment, Household, Person, Region
    from nrcms.supervision.batch import run_execute, run_start
    from nrcms.supervision.models import AuditHit, SamplingRate
    from tests.payments.payments_factory import at, move
    from tests.supervision.test_review_flow import short_stay

    region = Region.objects.get(code="610125100201001")
    household = Household.objects.create(number="P6101251002019901", region=region, address="东韩村一组 99 号")
    person = Person.objects.create(id_number=make_id_number("610125", dt.date(1958, 3, 4), 321, "M"), name="王长顺",
                                   sex="M", birth_date=dt.date(1958, 3, 4), household=household, relation="head")
    Enrollment.objects.create(person=person, household=household, scheme_year=2026)
    SamplingRate.objects.create(facility=demo["desk_county"].facility, rate=Decimal("1"), reason="全部抽查",
                                set_by=demo["reviewer"])
    settlement, _ = settlement_settle(actor=demo["desk_county"], episode=short_stay(demo["desk_county"], person, "E2E1"))
    move(settlement, at(2026, 6, 11))
    AuditHit.objects.filter(settlement=settlement).update(month=dt.date(2026, 6, 1))
    run_execute(run_start(actor=demo["reviewer"], month="2026-06"))
    hit = AuditHit.objects.get(settlement=settlement, rule_code="DZ1")

    browser_login("reviewer")
    page.goto(f"{live_server.url}/supervision/queue/?month=2026-06")
    assert "住院不超过1天" in page.get_by_test_id("queue-table").inner_text()
    for name in ("supervision-queue",):
        shot(page, name)
    page.goto(f"{live_server.url}/supervision/hits/?month=2026-06&facility={hit.facility.code}&rule=DZ1")
    shot(page, "supervision-hits")
    page.goto(f"{live_server.url}/supervision/hits/{hit.pk}/")
    assert settlement.number in page.get_by_test_id("settlement-link").inner_text()
    shot(page, "supervision-hit")
    form = page.get_by_test_id("decision-form")
    form.locator("input[value=deduct]").check()
    form.locator("input[name=reason]").fill("住院 1 天不符合入院指征")
    form.locator("input[name=base_amount]").fill("100")
    form.locator("input[name=multiplier]").fill("1.5")
    form.locator("button[type=submit]").click()
    assert "待计入月结算单" in page.get_by_test_id("decision-table").inner_text()
    shot(page, "supervision-hit-decided")
    page.goto(f"{live_server.url}/supervision/runs/")
    shot(page, "supervision-runs")
    page.goto(f"{live_server.url}/supervision/rules/")
    shot(page, "supervision-rules")

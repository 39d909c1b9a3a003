"""The small demo county has family doctors (nrcms/demo/family_doctors.py): four teams, most registered-poor
households signed from 2026-01-01 (two left unsigned), four other households from 2026-03-01, a few visits, and
no fee paid yet — the payer's to-do list shows the months to pay."""

import datetime as dt

import pytest

from nrcms.demo.family_doctors import OTHERS_SIGNED, POOR_UNSIGNED, TEAMS
from nrcms.family_doctors import services as svc
from nrcms.family_doctors.models import Contract, FeePayment, Team, Visit
from nrcms.registry.models import Household, PersonCategory
from nrcms.web.todo import todo_items

pytestmark = pytest.mark.django_db


def test_demo_teams_contracts_and_visits(demo):
    assert sorted(Team.objects.values_list("name", flat=True)) == sorted(name for name, _, _ in TEAMS)
    poor = set(Household.objects.filter(members__in=PersonCategory.objects.filter(category="registered_poor")
                                        .values("person_id")).values_list("pk", flat=True))
    poor_contracts = Contract.objects.filter(package="poor")
    assert set(poor_contracts.values_list("household_id", flat=True)) <= poor
    assert poor_contracts.count() == len(poor) - POOR_UNSIGNED
    assert Contract.objects.filter(package="basic").count() == OTHERS_SIGNED
    assert set(poor_contracts.values_list("start", "end", "fee", "fee_fund")) == {
        (dt.date(2026, 1, 1), dt.date(2026, 12, 31), 120, 80)}
    assert Visit.objects.count() == 4 and not FeePayment.objects.exists()
    unsigned = svc.poor_unsigned(actor=demo["director"], day=dt.date(2026, 6, 1))
    assert unsigned.count() >= POOR_UNSIGNED


def test_demo_to_do_shows_fees_to_pay_and_contracts_to_renew(demo):
    items = {i.key: i for i in todo_items(actor=demo["reviewer"], today=dt.date(2026, 11, 24))}
    assert (items["fd-fees-unpaid"].count, items["fd-fees-unpaid"].url) == (10, "/family-doctors/fees/?month=2026-01")
    december = {i.key: i for i in todo_items(actor=demo["reviewer"], today=dt.date(2026, 12, 7))}
    assert december["fd-contracts-ending"].count == Contract.objects.filter(package="poor").count() > 0

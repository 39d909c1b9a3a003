"""待办 for family doctors: contracts ending in the month and not renewed (for those who manage contracts), and
the ended months whose fee is not paid yet (for the payer). fd_county.py: C1 (东韩村家医团队) ends 2027-02-28;
fees due 2026-03 (two teams) and 2026-04 (one team)."""

import datetime as dt

import pytest

from nrcms.family_doctors import services as svc
from nrcms.web.todo import todo_items

pytestmark = pytest.mark.django_db


def _item(user, key, today):
    return next(item for item in todo_items(actor=user, today=today) if item.key == key)


def test_contracts_ending_this_month_until_renewed(client, login, fd, demo):
    feb = dt.date(2027, 2, 10)
    before = _item(fd["reviewer"], "fd-contracts-ending", feb)
    assert before.url == "/family-doctors/?ending=2027-02" and before.unit == "份"
    assert before.label == "2027-02 到期、尚未续签的家庭医生签约"
    ours = svc.contract_list(actor=fd["reviewer"], region="610125197000", ending=dt.date(2027, 2, 1))
    assert [c.number for c in ours] == [fd["c1"].number]  # C2 ends 2027-03-14, C3 was cancelled
    login("reviewer")
    page = client.get("/family-doctors/?ending=2027-02&region=610125197000").content.decode()
    assert fd["c1"].number in page and fd["c2"].number not in page and 'data-testid="fd-ending-note"' in page
    svc.contract_renew(actor=fd["reviewer"], contract=fd["c1"])
    assert _item(fd["reviewer"], "fd-contracts-ending", feb).count == before.count - 1
    assert not svc.contract_list(actor=fd["reviewer"], region="610125197000", ending=dt.date(2027, 2, 1)).exists()
    assert "fd-contracts-ending" not in {i.key for i in todo_items(actor=demo["finance"], today=feb)}


def test_months_of_fee_not_yet_paid_for_the_payer(fd, demo):
    may = dt.date(2026, 5, 10)
    assert svc.fees_unpaid_months(today=may) == [(dt.date(2026, 3, 1), 2), (dt.date(2026, 4, 1), 1)]
    item = _item(fd["reviewer"], "fd-fees-unpaid", may)
    assert (item.count, item.url, item.unit) == (2, "/family-doctors/fees/?month=2026-03", "个月")
    svc.fee_pay_month(actor=fd["reviewer"], year=2026, month=3)
    item = _item(fd["reviewer"], "fd-fees-unpaid", may)
    assert (item.count, item.url) == (1, "/family-doctors/fees/?month=2026-04")
    svc.fee_pay_month(actor=fd["reviewer"], year=2026, month=4)
    assert _item(fd["reviewer"], "fd-fees-unpaid", may).count == 0
    assert svc.fees_unpaid_months(today=dt.date(2026, 4, 30)) == []  # April has not ended: not counted yet
    assert "fd-fees-unpaid" not in {i.key for i in todo_items(actor=demo["ganting"], today=may)}

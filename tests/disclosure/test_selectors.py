"""What a month's disclosure lists: masked names and ID numbers, the scheme's reimbursement only, reversals
netted out, per village by the household's village; per township fund income and spending; large reimbursements."""

import datetime as dt
from decimal import Decimal

import pytest

from nrcms.claims.models import Settlement, SettlementKind
from nrcms.disclosure.masking import mask_id_public, mask_name
from nrcms.disclosure.selectors import large_reimbursements, month_of, township_fund, village_list
from nrcms.stats import facts

pytestmark = pytest.mark.django_db
MARCH, APRIL = month_of("2026-03"), month_of("2026-04")
JIA, YI, TOWNSHIP = "610125199201", "610125199202", "610125199"


def test_names_keep_the_surname_and_ids_the_first_and_last_four():
    assert mask_name("张三丰") == "张＊" and mask_name("欧阳娜娜") == "欧阳＊" and mask_name("欧阳") == "欧＊"
    assert mask_name("李") == "＊" and mask_name("") == ""
    assert mask_id_public("610125198001011234") == "6101**********1234"
    assert mask_id_public("12345678") == "****5678"


def test_a_village_lists_each_reimbursed_episode_masked(small):
    rows = village_list(start=MARCH[0], end=MARCH[1], prefix=JIA)
    a, b = small.persons["A"], small.persons["B"]
    assert [(r.name, r.kind, r.admission_date, r.total_cost, r.reimbursed) for r in rows] == [
        ("试＊", "住院", dt.date(2026, 3, 1), Decimal("7000.00"), Decimal("3450.00")),
        ("试＊", "住院", dt.date(2026, 3, 2), Decimal("7000.00"), Decimal("3450.00")),
        ("试＊", "门诊", dt.date(2026, 3, 25), Decimal("100.00"), Decimal("55.00"))]
    assert rows[0].id_number == a.id_number[:4] + "*" * 10 + a.id_number[-4:]
    assert rows[1].id_number == mask_id_public(b.id_number) and rows[0].hospital == "户县人民医院"
    assert all(r.village == "甲村" and not r.correction for r in rows)


def test_the_poor_patients_safety_net_is_not_part_of_the_reimbursement_shown(small):
    rows = village_list(start=MARCH[0], end=MARCH[1], prefix=YI)
    # C: basic 3,450.00 + safety net 1,140.00 — only the 3,450.00 the scheme paid; D: the manual claim
    assert [(r.total_cost, r.reimbursed) for r in rows] == [(Decimal("9000.00"), Decimal("3600.00")),
                                                           (Decimal("7000.00"), Decimal("3450.00"))]


def test_a_reversal_in_a_later_month_is_a_negative_correction_there(small):
    jia = village_list(start=APRIL[0], end=APRIL[1], prefix=JIA)
    yi = village_list(start=APRIL[0], end=APRIL[1], prefix=YI)
    assert [(r.total_cost, r.reimbursed, r.correction) for r in jia] == [(Decimal("-7000.00"), Decimal("-3450.00"), True)]
    assert [(r.total_cost, r.reimbursed, r.correction) for r in yi] == [(Decimal("-9000.00"), Decimal("-3600.00"), True)]


def test_a_reversal_in_the_same_month_takes_the_patient_off_the_list(small):
    reversal = Settlement.objects.get(kind=SettlementKind.REVERSAL, episode__serial="SY-ZY2")
    Settlement.objects.filter(pk=reversal.pk).update(settled_at=dt.datetime(2026, 3, 20, 10, tzinfo=dt.UTC))
    facts.add(settlement_ids=[reversal.pk])
    rows = village_list(start=MARCH[0], end=MARCH[1], prefix=JIA)
    assert [r.admission_date for r in rows] == [dt.date(2026, 3, 1), dt.date(2026, 3, 25)]
    assert village_list(start=APRIL[0], end=APRIL[1], prefix=JIA) == []


def test_township_fund_shows_contributions_and_reimbursements(small):
    (row,) = [t for t in township_fund(start=MARCH[0], end=MARCH[1], prefix="610125") if t.code == "610125199000"]
    # 4 persons × 380.00 collected on 1 March; 5 settlements: 3,450 × 3 + 55 + 3,600
    assert (row.name, row.contributions, row.count, row.total_cost, row.reimbursed) == (
        "试验乡", Decimal("1520.00"), 5, Decimal("30100.00"), Decimal("14005.00"))
    (april,) = [t for t in township_fund(start=APRIL[0], end=APRIL[1], prefix=TOWNSHIP)]
    assert (april.contributions, april.count, april.reimbursed) == (Decimal("0.00"), -2, Decimal("-7050.00"))


def test_large_reimbursements_take_a_threshold(small):
    assert large_reimbursements(start=MARCH[0], end=MARCH[1], prefix=TOWNSHIP) == []
    big = large_reimbursements(start=MARCH[0], end=MARCH[1], prefix=TOWNSHIP, threshold=Decimal("3500"))
    assert [(r.village, r.reimbursed) for r in big] == [("乙村", Decimal("3600.00"))]


def test_a_month_is_written_yyyy_mm():
    assert month_of("2026-02") == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    for bad in ("2026-13", "202603", "2026-3", "x" * 300, "9999-01"):
        with pytest.raises(Exception, match="公示月份"):
            month_of(bad)

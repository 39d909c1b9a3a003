"""The statement's history (经办记录) writes amounts as the rest of the page does: 1,104.70 元."""

from nrcms.payments.views import _history_text


def test_history_amounts_have_thousands_separators_and_the_unit():
    text = _history_text({"month": "2026-10", "lines": 18, "fund_total": "1104.70", "total_cost": "3471.8",
                          "status": "in_review", "deduction_total": "-12.5", "multiplier": "1.5"})
    assert text == ("月份 2026-10；笔数 18；基金支付 1,104.70 元；医疗总费用 3,471.80 元；状态 审核中；"
                    "扣款合计 -12.50 元；倍数 1.5")

"""Eligible cost, deductibles and tiers, rule by rule."""

from decimal import Decimal

from engine_cases import admission, item, scheme

from nrcms.policy import YearToDate, settle
from nrcms.policy.rules.eligible_cost import eligible_cost
from nrcms.policy.rules.tiers import accumulated_payment, tier_payment

D = Decimal
PINGLUO_TIERS = [{"upto": str(1000 + 500 * n), "rate": f"0.{20 + 5 * n}"} for n in range(7)] + [{"rate": "0.55"}]


def tiers(*pairs):
    from nrcms.policy.parameters import Tier

    return tuple(Tier(rate=D(rate), upto=None if upto is None else D(upto)) for upto, rate in pairs)


def test_category_c_and_out_of_catalogue_items_are_paid_by_the_patient():
    eligible, excluded, _ = eligible_cost((item("100", "A"), item("40", "C"), item("25", None)))
    assert eligible == D("100") and excluded["category_c"] == D("40") and excluded["out_of_catalogue"] == D("25")


def test_the_part_above_the_price_limit_times_quantity_is_self_pay():
    eligible, excluded, _ = eligible_cost((item("130", "A", quantity=D("4"), price_limit=D("30")),))
    assert eligible == D("120") and excluded["over_price_limit"] == D("10")


def test_category_b_first_self_pay_share_is_taken_after_the_price_limit():
    eligible, excluded, _ = eligible_cost((item("1000", "B", first_self_pay_share=D("0.2"), price_limit=D("900")),))
    assert excluded["over_price_limit"] == D("100") and excluded["first_self_pay"] == D("180.00")
    assert eligible == D("720.00")


def test_each_first_self_pay_share_is_rounded_half_up_to_the_fen():
    eligible, excluded, _ = eligible_cost((item("0.05", "B", first_self_pay_share=D("0.1")),
                                           item("0.05", "B", first_self_pay_share=D("0.1"))))
    assert excluded["first_self_pay"] == D("0.02") and eligible == D("0.08")


def test_a_scheme_covering_category_a_only_excludes_category_b_in_full():
    eligible, excluded, _ = eligible_cost((item("100", "A"), item("50", "B", first_self_pay_share=D("0.2"))), ("A",))
    assert eligible == D("100") and excluded["category_b"] == D("50") and excluded["first_self_pay"] == 0


def test_exclusions_are_explained_line_by_line():
    _, _, lines = eligible_cost((item("100", "A"), item("40", "C")))
    assert [line.text for line in lines] == ["减：丙类（自费）项目 40.00 元", "政策范围内费用 100.00 元"]


def test_cumulative_tiers_pay_each_band_at_its_own_rate():
    paid, parts = tier_payment(D("8000"), D("300"), tiers(("5000", "0.4"), (None, "0.5")), "cumulative")
    assert paid == D("3380.00") and [p.base for p in parts] == [D("4700"), D("3000")]


def test_bracket_tiers_pay_the_whole_amount_at_the_rate_of_the_band_the_cost_falls_in():
    paid, parts = tier_payment(D("1001"), D("300"), tiers(("1000", "0.2"), (None, "0.25")), "bracket")
    assert paid == D("175.25") and len(parts) == 1 and parts[0].rate == D("0.25")


def test_a_cost_on_a_band_boundary_stays_in_the_lower_band():
    paid, _ = tier_payment(D("1000"), D("300"), tiers(("1000", "0.2"), (None, "0.25")), "bracket")
    assert paid == D("140.00")


def test_nothing_is_paid_up_to_the_deductible():
    assert tier_payment(D("300"), D("300"), tiers((None, "0.5")), "cumulative") == (0, ())


def test_a_rate_change_is_added_in_points_and_kept_between_zero_and_one():
    paid, parts = tier_payment(D("1300"), D("300"), tiers((None, "0.15")), "cumulative", D("-0.20"))
    assert paid == 0 and parts[0].rate == 0
    paid, parts = tier_payment(D("1300"), D("300"), tiers((None, "0.95")), "cumulative", D("0.10"))
    assert parts[0].rate == 1 and paid == D("1000.00")


def test_a_yearly_deductible_is_met_once_however_the_base_is_split():
    t = tiers(("50000", "0.6"), (None, "0.7"))
    whole = accumulated_payment(D("0"), D("70000"), D("10000"), t)
    parts = (accumulated_payment(D("0"), D("8000"), D("10000"), t)
             + accumulated_payment(D("8000"), D("30000"), D("10000"), t)
             + accumulated_payment(D("38000"), D("32000"), D("10000"), t))
    assert whole == parts == D("38000.00")


def test_the_deductible_depends_on_the_facility_level():
    s = scheme({"inpatient": {"deductible": {"default": "300", "by_level": {"township": "150"}}}})
    assert settle(admission("1000", level="township"), s).deductible == D("150.00")
    assert settle(admission("1000", level="county"), s).deductible == D("300.00")


def test_a_second_admission_in_the_year_pays_a_lower_deductible():
    s = scheme({"inpatient": {"deductible": {"default": "300", "subsequent_factor": "0.5",
                                              "subsequent_by_level": {"township": "0"}}}})
    assert settle(admission("1000"), s, YearToDate(admissions=1)).deductible == D("150.00")
    assert settle(admission("1000", level="township"), s, YearToDate(admissions=2)).deductible == D("0.00")
    assert settle(admission("1000"), s).deductible == D("300.00")


def test_non_designated_and_out_of_county_care_can_have_their_own_deductibles():
    s = scheme({"inpatient": {"deductible": {"default": "300", "non_designated": "800", "out_of_county": "1000",
                                              "out_of_county_unreferred": "2000"}}})
    assert settle(admission("5000", designated=False), s).deductible == D("800.00")
    assert settle(admission("5000", in_county=False, referred=True), s).deductible == D("1000.00")
    assert settle(admission("5000", in_county=False), s).deductible == D("2000.00")


def test_out_of_county_care_can_have_its_own_rates_by_level():
    s = scheme({"inpatient": {"tiers": {"default": [{"rate": "0.60"}],
                                        "out_of_county": {"county": [{"rate": "0.40"}]}}}})
    assert settle(admission("1300"), s).basic == D("600.00")
    assert settle(admission("1300", in_county=False, referred=True), s).basic == D("400.00")


def test_unreferred_care_in_the_county_can_be_paid_less_or_refused():
    s = scheme({"inpatient": {"in_county_unreferred": {"county": {"rate_change": "-0.10"},
                                                        "prefecture": {"refuse": True}}}})
    unreferred = settle(admission("1300"), s)
    assert unreferred.basic == D("400.00") and "比例调整 -10 个百分点" in unreferred.lines[4].text
    assert settle(admission("1300", referred=True), s).basic == D("500.00")
    assert settle(admission("1300", level="prefecture"), s).refused == ("unreferred_in_county",)


def test_the_scheme_rounds_the_reimbursement_to_the_jiao_or_the_yuan_half_up():
    episode = admission("1300.37")  # (1300.37 − 300) × 50 % = 500.185 → 500.19 to the fen
    assert settle(episode, scheme()).basic == D("500.19")
    assert settle(episode, scheme({"rounding": "jiao"})).basic == D("500.20")
    assert settle(episode, scheme({"rounding": "yuan"})).basic == D("500.00")
    assert str(settle(episode, scheme({"rounding": "yuan"})).basic) == "500.00"


def test_tier_lines_add_up_to_the_payment_before_rounding():
    s = scheme({"inpatient": {"tiers": {"default": [{"upto": "1000", "rate": "0.333"}, {"rate": "0.5"}]}}})
    result = settle(admission("1000.03"), s)
    assert sum(part.paid for part in result.tiers) == result.basic_before_cap == D("233.12")  # 233.10 + 0.02


def test_explanation_amounts_read_with_thousands_separators_and_bounds_and_rates_as_written():
    from nrcms.policy.types import ExplanationLine

    line = ExplanationLine("tier", "分段累加：{}–{} 元段 {} 元 × {:%} = {} 元", D("4519.50"),
                           (D("1000"), D("5000"), D("6026.00"), D("0.75"), D("4519.50")))
    assert line.text == "分段累加：1000–5000 元段 6,026.00 元 × 75% = 4,519.50 元"
    assert line.to_dict()["amount"] == "4519.50"  # the stored amount stays plain text for machines

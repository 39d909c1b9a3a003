"""Annual caps, fixed-fee packages, fixed subsidies, refusals."""

from decimal import Decimal

from engine_cases import admission, scheme

from nrcms.policy import Refusal, YearToDate, scheme_file_from_mapping, settle

D = Decimal
PACKAGE = {"code": "appendicitis", "name": "阑尾炎", "diagnoses": ["K35"], "levels": ["county"],
           "patient_amount": "500", "fund_amount": "700"}


def test_cap_limits_second_admission_in_year():
    s = scheme({"inpatient": {"annual_cap": "4000"}})
    first = settle(admission("6300"), s)
    second = settle(admission("6300"), s, first.ytd_after)
    assert (first.basic, second.basic_before_cap, second.basic) == (D("3000.00"), D("3000.00"), D("1000.00"))
    assert second.ytd_after.basic_paid == D("4000.00") and second.ytd_after.admissions == 2
    third = settle(admission("6300"), s, second.ytd_after)
    assert third.basic == 0 and "剩余 0.00 元" in third.lines[-2].text


def test_a_lower_cap_at_non_designated_facilities_counts_what_was_paid_elsewhere():
    s = scheme({"inpatient": {"annual_cap": "4000", "annual_cap_non_designated": "3000"}})
    assert settle(admission("9300", designated=False), s).basic == D("3000.00")
    assert settle(admission("9300", designated=False), s, YearToDate(basic_paid=D("3500"))).basic == 0
    assert settle(admission("9300"), s, YearToDate(basic_paid=D("3500"))).basic == D("500.00")


def test_a_fixed_fee_package_pays_fixed_parts_and_the_facility_bears_the_difference():
    s = scheme({"inpatient": {"fixed_fee_packages": [PACKAGE]}})
    result = settle(admission("1450", diagnosis_code="K35.8"), s)
    assert (result.fixed_fee, result.self_pay, result.facility_borne) == (D("700.00"), D("500.00"), D("250.00"))
    assert result.package == "appendicitis" and result.deductible == 0 and result.tiers == ()
    assert result.ytd_after.basic_paid == D("700.00") and result.ytd_after.admissions == 1


def test_a_package_applies_only_at_its_levels_in_the_county_and_at_designated_facilities():
    s = scheme({"inpatient": {"fixed_fee_packages": [PACKAGE]}})
    for episode in (admission("1450", diagnosis_code="K35.8", level="township"),
                    admission("1450", diagnosis_code="K35.8", in_county=False, referred=True),
                    admission("1450", diagnosis_code="K35.8", designated=False),
                    admission("1450", diagnosis_code="K37")):
        assert settle(episode, s).package == ""


def test_no_one_pays_more_than_the_bill_when_a_stay_costs_less_than_the_package():
    s = scheme({"inpatient": {"fixed_fee_packages": [PACKAGE]}})
    cheap = settle(admission("400", diagnosis_code="K35.8"), s)
    assert (cheap.self_pay, cheap.fixed_fee, cheap.facility_borne) == (D("400.00"), 0, 0)


def test_the_cap_limits_a_package_and_the_patient_pays_what_the_fund_cannot():
    s = scheme({"inpatient": {"fixed_fee_packages": [PACKAGE], "annual_cap": "4000"}})
    result = settle(admission("1450", diagnosis_code="K35.8"), s, YearToDate(basic_paid=D("3800")))
    assert (result.fixed_fee, result.self_pay, result.facility_borne) == (D("200.00"), D("1000.00"), D("250.00"))
    assert "年度封顶剩余 200.00 元" in result.lines[3].text


def test_a_childbirth_subsidy_is_added_within_what_the_basic_scheme_left():
    s = scheme({"inpatient": {"subsidies": [{"code": "birth", "name": "住院分娩补助", "diagnoses": ["O80"],
                                              "amount": "300"}]}})
    result = settle(admission("1300", diagnosis_code="O80.0"), s)
    assert (result.basic, result.subsidy, result.fund_total) == (D("500.00"), D("300.00"), D("800.00"))
    assert result.ytd_after.basic_paid == D("500.00")
    small = settle(admission("500", diagnosis_code="O80.0"), s)
    assert (small.basic, small.subsidy, small.self_pay) == (D("100.00"), D("300.00"), D("100.00"))


def test_a_subsidy_counting_toward_the_cap_stops_at_the_cap():
    s = scheme({"inpatient": {"annual_cap": "1000", "subsidies": [
        {"code": "birth", "name": "住院分娩补助", "diagnoses": ["O80"], "amount": "300", "counts_toward_cap": True}]}})
    result = settle(admission("2000", diagnosis_code="O80"), s, YearToDate(basic_paid=D("100")))
    assert (result.basic, result.subsidy) == (D("850.00"), D("50.00"))
    assert result.ytd_after.basic_paid == D("1000.00")


def test_refusals_are_results_with_every_reason_and_nothing_added_to_the_year():
    s = scheme({"inpatient": {"non_designated": {"refuse": True}, "out_of_county_unreferred": {"refuse": True}}})
    result = settle(admission("5000", designated=False, in_county=False), s, YearToDate(admissions=1))
    assert result.refused == (Refusal.NON_DESIGNATED, Refusal.UNREFERRED_OUT_OF_COUNTY)
    assert result.fund_total == 0 and result.self_pay == D("5000.00")
    assert result.ytd_after == YearToDate(admissions=1)
    assert [line.text for line in result.lines if line.step == "refused"] == [
        "不予补偿：在非定点医疗机构就诊，按方案不予补偿", "不予补偿：县外住院未办理转诊手续，按方案不予补偿"]


def test_an_episode_without_charges_or_before_the_first_version_is_refused():
    s = scheme()
    assert settle(admission(), s).refused == ("no_charges",)
    f = scheme_file_from_mapping({"id": "t", "name": "t", "county": "t", "versions": [{"effective": "2030-01-01", "notice": "n",
               "parameters": {"inpatient": {"deductible": {"default": "1"}, "tiers": {"default": [{"rate": "1"}]},
                                            "annual_cap": "1"}}}]})
    assert settle(admission("100"), f).refused == ("no_scheme",)

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from nrcms.core.errors import ValidationFailed
from nrcms.core.idnumber import make_id_number, validate_id_number
from nrcms.core.masking import mask_id

TODAY = dt.date(2026, 11, 23)


def test_valid_number_gives_birth_date_sex_and_division():
    info = validate_id_number("360426199101010071", today=TODAY)
    assert info.birth_date == dt.date(1991, 1, 1)
    assert info.sex == "M"
    assert info.division_code == "360426"


def test_lower_case_x_and_spaces_are_accepted():
    number = make_id_number("610125", dt.date(1975, 3, 9), 0, "M")
    for seq in range(500):
        number = make_id_number("610125", dt.date(1975, 3, 9), seq, "M")
        if number.endswith("X"):
            break
    assert number.endswith("X")
    assert validate_id_number(" " + number.lower() + " ", today=TODAY).id_number == number


@pytest.mark.parametrize("value, code, words", [
    ("61012519800101006", "id_length", "应为 18 位"),
    ("6101251980010100A1", "id_format", "前 17 位应为数字"),
    ("610125198001010061", "id_checksum", "校验位错误"),
    ("", "required", "不能为空"),
])
def test_refusals_name_the_rule_in_chinese(value, code, words):
    with pytest.raises(ValidationFailed) as exc:
        validate_id_number(value, today=TODAY)
    assert exc.value.code == code and exc.value.field == "id_number"
    assert words in exc.value.message


def test_impossible_birth_date_is_refused():
    body = "61012519800230001"
    number = body + ric.calc_check_digit(body + "0")
    with pytest.raises(ValidationFailed) as exc:
        validate_id_number(number, today=TODAY)
    assert exc.value.code == "id_birth_date" and "19800230" in exc.value.message


def test_future_birth_date_is_refused():
    number = make_id_number("610118", dt.date(2026, 12, 1), 5, "F")
    with pytest.raises(ValidationFailed) as exc:
        validate_id_number(number, today=TODAY)
    assert exc.value.code == "id_birth_future" and "晚于今天" in exc.value.message


def test_unknown_division_code_is_refused():
    number = make_id_number("999999", dt.date(1980, 1, 1), 5, "F")
    with pytest.raises(ValidationFailed) as exc:
        validate_id_number(number, today=TODAY)
    assert exc.value.code == "id_division"


def test_old_county_code_is_accepted_for_people_born_after_it_was_renamed():
    # 户县 became 鄠邑区 (610118) in 2016; a late-registered child may still carry 610125.
    number = make_id_number("610125", dt.date(2019, 5, 1), 7, "M")
    assert validate_id_number(number, today=TODAY).birth_date == dt.date(2019, 5, 1)


@given(birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY), seq=st.integers(0, 499),
       sex=st.sampled_from(["M", "F"]))
def test_made_numbers_always_validate_and_carry_the_sex(birth, seq, sex):
    info = validate_id_number(make_id_number("610125", birth, seq, sex), today=TODAY)
    assert info.birth_date == birth and info.sex == sex


def test_mask_keeps_division_and_last_four():
    assert mask_id("610125198001010060") == "610125********0060"

"""The chronic-disease register: who may certify what (the scheme's chronic list, a designated hospital of
county level or above, no overlapping validity), revocation, follow-ups, and what the desk reads from it."""

import datetime as dt

import pytest

from nrcms.accounts.models import AuditEntry
from nrcms.conditions.models import ChronicStatus
from nrcms.conditions.selectors import chronic_certified_on, chronic_diseases
from nrcms.conditions.services import chronic_certify, chronic_follow_up_record, chronic_revoke
from nrcms.core.errors import Forbidden, ValidationFailed

pytestmark = pytest.mark.django_db
D = dt.date
ON, UNTIL = D(2026, 3, 1), D(2027, 2, 28)


def certify(actor, person, code="I10", facility="H610125001", on=ON, until=UNTIL):
    return chronic_certify(actor=actor, id_number=person.id_number, disease_code=code, facility_code=facility,
                           certified_on=on, valid_until=until)


def test_the_diseases_are_the_schemes_chronic_list_with_chinese_names(layered_scheme):
    diseases = dict(chronic_diseases(D(2026, 3, 1)))
    assert list(diseases) == ["I10", "E11", "E14", "I25", "J44", "F20", "N18"]
    assert diseases["I10"] == "高血压" and diseases["E11"] == "2型糖尿病"


def test_a_county_hospital_certifies_and_it_is_audited(demo, patients, layered_scheme):
    cert = certify(demo["reviewer"], patients.head, code="i10")
    assert (cert.disease_code, cert.disease_name, cert.facility.code) == ("I10", "高血压", "H610125001")
    assert cert.status == ChronicStatus.CERTIFIED
    entry = AuditEntry.objects.filter(action="chronic.certify").latest("seq")
    assert entry.object_id == str(cert.pk) and entry.after["disease_code"] == "I10"


@pytest.mark.parametrize(("kwargs", "code", "words"), [
    ({"facility": "H610125101"}, "level_too_low", "县级及以上"),       # 甘亭镇中心卫生院 is a township hospital
    ({"facility": "NOPE"}, "not_found", "不存在"),
    ({"code": "K35"}, "not_listed", "门诊慢性病病种"),
    ({"until": D(2026, 2, 1)}, "invalid", "早于认定日期"),
    ({"on": D(2099, 1, 1), "until": D(2099, 12, 31)}, "invalid", "晚于今天"),
])
def test_what_cannot_be_certified(demo, patients, layered_scheme, kwargs, code, words):
    with pytest.raises(ValidationFailed) as exc:
        certify(demo["reviewer"], patients.head, **kwargs)
    assert exc.value.code == code and words in exc.value.message


def test_one_valid_certificate_per_disease_at_a_time(demo, patients, layered_scheme):
    certify(demo["reviewer"], patients.head)
    with pytest.raises(ValidationFailed, match="有效期重叠"):
        certify(demo["reviewer"], patients.head, on=D(2026, 6, 1), until=D(2027, 5, 31))
    certify(demo["reviewer"], patients.head, code="E11")  # another disease is fine


def test_a_desk_or_a_township_clerk_cannot_certify(demo, patients, layered_scheme):
    for user in ("desk_county", "ganting"):
        with pytest.raises(Forbidden):
            certify(demo[user], patients.head)


def test_the_desk_reads_the_certificate_by_prefix_within_its_validity(demo, patients, layered_scheme):
    cert = certify(demo["reviewer"], patients.head)
    pid = patients.head.pk
    assert chronic_certified_on(pid, "I10.X", D(2026, 3, 1)) is True
    assert chronic_certified_on(pid, "i10", D(2027, 2, 28)) is True
    assert chronic_certified_on(pid, "I10.X", D(2026, 2, 28)) is False   # before certification
    assert chronic_certified_on(pid, "I10.X", D(2027, 3, 1)) is False    # expired
    assert chronic_certified_on(pid, "E11.9", D(2026, 5, 1)) is False    # another disease
    assert chronic_certified_on(patients.spouse.pk, "I10.X", D(2026, 5, 1)) is False
    assert cert.status_on(D(2027, 3, 1)) == ChronicStatus.EXPIRED


def test_revocation_counts_from_its_day_and_earlier_visits_stay_certified(demo, patients, layered_scheme):
    cert = certify(demo["reviewer"], patients.head)
    with pytest.raises(ValidationFailed, match="撤销原因不能为空"):
        chronic_revoke(actor=demo["reviewer"], certificate=cert, revoked_on=D(2026, 6, 1), reason=" ")
    chronic_revoke(actor=demo["reviewer"], certificate=cert, revoked_on=D(2026, 6, 1), reason="复审血压已正常")
    cert.refresh_from_db()
    assert cert.status == ChronicStatus.REVOKED and cert.revoke_reason == "复审血压已正常"
    assert chronic_certified_on(patients.head.pk, "I10.X", D(2026, 5, 31)) is True
    assert chronic_certified_on(patients.head.pk, "I10.X", D(2026, 6, 1)) is False
    with pytest.raises(ValidationFailed, match="已于 2026-06-01 撤销"):
        chronic_revoke(actor=demo["reviewer"], certificate=cert, revoked_on=D(2026, 7, 1), reason="再次")
    assert AuditEntry.objects.filter(action="chronic.revoke", object_id=str(cert.pk)).count() == 1
    # once revoked, a new certificate may be recorded for the same disease
    certify(demo["reviewer"], patients.head, on=D(2026, 9, 1), until=D(2027, 8, 31))


def test_follow_ups_are_recorded_with_readings(demo, patients, layered_scheme):
    cert = certify(demo["civil"], patients.head)
    row = chronic_follow_up_record(actor=demo["civil"], certificate=cert, date=D(2026, 4, 2), by_whom="村医张平",
                                   blood_pressure="150/95 mmHg", glucose="", note="按时服药")
    assert (row.blood_pressure, row.note) == ("150/95 mmHg", "按时服药")
    with pytest.raises(ValidationFailed, match="早于认定日期"):
        chronic_follow_up_record(actor=demo["civil"], certificate=cert, date=D(2026, 2, 2), by_whom="村医张平")
    with pytest.raises(ValidationFailed, match="随访人不能为空"):
        chronic_follow_up_record(actor=demo["civil"], certificate=cert, date=D(2026, 4, 2), by_whom="")

"""大病集中救治: the national list (each disease once), the designated hospital, the pathway, closing, follow-ups."""

import datetime as dt

import pytest

from nrcms.accounts.models import AuditEntry
from nrcms.conditions.models import SeriousIllness, SeriousStatus
from nrcms.conditions.services import serious_case_close, serious_case_record, serious_follow_up_record
from nrcms.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db
D = dt.date


def test_the_national_list_is_honest_and_has_no_duplicates():
    labels = SeriousIllness.labels
    assert len(labels) == len(set(labels)) == 24
    assert {"儿童急性淋巴细胞白血病", "儿童先天性室间隔缺损", "终末期肾病", "耐多药结核病", "尿道下裂", "儿童苯丙酮尿症"} <= set(labels)


def record(actor, person, **kw):
    values = {"disease": SeriousIllness.ESRD, "facility_code": "H610125001", "pathway": "血液透析每周 2 次",
              "started_on": D(2026, 4, 1), **kw}
    return serious_case_record(actor=actor, id_number=person.id_number, **values)


def test_a_case_is_recorded_followed_up_and_closed(demo, patients):
    case = record(demo["civil"], patients.head)
    assert (case.get_disease_display(), case.facility.name, case.status) == ("终末期肾病", "户县人民医院", "treating")
    serious_follow_up_record(actor=demo["civil"], case=case, date=D(2026, 5, 1), by_whom="乡医王芳", note="透析规律")
    with pytest.raises(ValidationFailed, match="终止救治|结束说明"):
        serious_case_close(actor=demo["civil"], case=case, status=SeriousStatus.STOPPED, closed_on=D(2026, 6, 1), note="")
    serious_case_close(actor=demo["civil"], case=case, status=SeriousStatus.COMPLETED, closed_on=D(2026, 6, 1), note="")
    case.refresh_from_db()
    assert (case.status, case.closed_on) == ("completed", D(2026, 6, 1))
    with pytest.raises(ValidationFailed, match="已救治完成"):
        serious_case_close(actor=demo["civil"], case=case, status=SeriousStatus.STOPPED, closed_on=D(2026, 6, 2), note="x")
    assert set(AuditEntry.objects.filter(action__startswith="serious.").values_list("action", flat=True)) == {
        "serious.record", "serious.follow_up", "serious.close"}


def test_what_is_refused(demo, patients):
    with pytest.raises(ValidationFailed, match="县级及以上"):
        record(demo["civil"], patients.head, facility_code="H610125101")
    with pytest.raises(ValidationFailed, match="不在大病集中救治病种名单"):
        record(demo["civil"], patients.head, disease="flu")
    with pytest.raises(ValidationFailed, match="临床路径不能为空"):
        record(demo["civil"], patients.head, pathway=" ")
    record(demo["civil"], patients.head)
    with pytest.raises(ValidationFailed, match="已在救治中"):
        record(demo["civil"], patients.head)
    # a prefecture hospital outside the county is county level or above and designated
    assert record(demo["civil"], patients.spouse, facility_code="H610100001").facility.level == "prefecture"

import datetime as dt
from decimal import Decimal

import pytest
from designation_flow import designation_change

from nrcms.accounts.models import AuditEntry
from nrcms.claims.desk import episode_discharge
from nrcms.claims.desk_admission import AdmissionInput, admission_register
from nrcms.claims.desk_charges import ChargeInput, charges_upload
from nrcms.claims.desk_lookup import member_lookup
from nrcms.claims.models import ChargeLine, Episode, Referral
from nrcms.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from nrcms.facilities.models import Facility
from nrcms.registry.models import Enrollment

pytestmark = pytest.mark.django_db
ADMIT = dt.date(2026, 5, 10)


def admit(desk, family, serial="ZY2026000001", **kw):
    data = {"serial": serial, "kind": "inpatient", "id_number": family.head.id_number, "admission_date": ADMIT,
            "diagnosis_code": "I21.9", "diagnosis_name": "急性心肌梗死"}
    data.update(kw)
    return admission_register(actor=desk, data=AdmissionInput(**data))


def line(n, code="5001-YP0001", qty="2", price="15.50", amount="31.00", day=ADMIT):
    return ChargeInput(line_no=n, facility_item_code=code, item_name="项目", charged_on=day,
                       quantity=Decimal(qty), unit_price=Decimal(price), amount=Decimal(amount))


def test_desk_finds_a_member_by_certificate_and_id(demo, family):
    card = member_lookup(actor=demo["desk_county"], on=ADMIT, certificate_number=family.certificate.number,
                         id_number=family.spouse.id_number)
    assert card.person == family.spouse and card.enrolled and card.certificate == family.certificate
    with pytest.raises(ValidationFailed) as exc:
        member_lookup(actor=demo["desk_county"], on=ADMIT, certificate_number=family.certificate.number)
    assert exc.value.code == "choose_member" and [m["name"] for m in exc.value.details] == ["王德福", "刘桂芳", "王小强"]


def test_lookup_tells_when_not_enrolled_that_year(demo, family):
    card = member_lookup(actor=demo["desk_county"], on=dt.date(2025, 12, 31), id_number=family.head.id_number)
    assert not card.enrolled and card.scheme_year == 2025


def test_only_a_desk_registers_admissions(demo, family):
    with pytest.raises(Forbidden):
        admit(demo["ganting"], family)


def test_registration_is_idempotent_on_the_serial(demo, family):
    first, created = admit(demo["desk_county"], family)
    again, created_again = admit(demo["desk_county"], family)
    assert created and not created_again and first.pk == again.pk and Episode.objects.filter(person=first.person).count() == 1
    with pytest.raises(Conflict):
        admit(demo["desk_county"], family, id_number=family.child.id_number)


def test_not_enrolled_is_refused(demo, family):
    Enrollment.objects.filter(person=family.head).update(status="cancelled")
    with pytest.raises(ValidationFailed) as exc:
        admit(demo["desk_county"], family)
    assert exc.value.code == "not_enrolled" and "王德福" in exc.value.message


def test_outside_the_scheme_year_is_refused(demo, family):
    with pytest.raises(ValidationFailed) as exc:
        admit(demo["desk_county"], family, admission_date=dt.date(2025, 12, 30))
    assert exc.value.code == "not_enrolled"


def test_a_revoked_facility_cannot_register(demo, family):
    designation_change(demo, Facility.objects.get(code="H610125001"), "revoked", dt.date(2026, 4, 1), "违规")
    with pytest.raises(ValidationFailed) as exc:
        admit(demo["desk_county"], family)
    assert exc.value.code == "facility_not_designated"


def test_a_future_admission_date_is_refused(demo, family):
    with pytest.raises(ValidationFailed) as exc:
        admit(demo["desk_county"], family, admission_date=dt.date.today() + dt.timedelta(days=3))
    assert exc.value.field == "admission_date"


def test_referral_must_be_the_patients_and_valid_on_the_date(demo, family):
    Referral.objects.create(number="ZZ2026001", person=family.child, approved_on=dt.date(2026, 5, 1),
                            valid_until=dt.date(2026, 5, 31))
    with pytest.raises(ValidationFailed):
        admit(demo["desk_county"], family, referral_number="ZZ2026001")
    episode, _ = admit(demo["desk_county"], family, referral_number="ZZ2026001", id_number=family.child.id_number)
    assert episode.referral.number == "ZZ2026001"
    with pytest.raises(ValidationFailed) as exc:
        admit(demo["desk_county"], family, serial="X2", referral_number="ZZ2026001",
              id_number=family.child.id_number, admission_date=dt.date(2026, 6, 2))
    assert exc.value.code == "expired"


def test_charges_upload_maps_codes_and_copies_the_catalogue_entry(demo, family):
    episode, _ = admit(demo["desk_county"], family)
    result = charges_upload(actor=demo["desk_county"], episode=episode, lines=[
        line(1), line(2, code="5001-YP0101", qty="3", price="40", amount="120.00")])
    assert result.ok and result.added == 2
    b = ChargeLine.objects.get(episode=episode, line_no=2)
    assert b.catalogue_code == "YP0101" and b.catalogue_class == "B" and b.first_self_pay_share == Decimal("0.1")


def test_reuploading_the_same_lines_changes_nothing(demo, family):
    episode, _ = admit(demo["desk_county"], family)
    charges_upload(actor=demo["desk_county"], episode=episode, lines=[line(1), line(2)])
    audits = AuditEntry.objects.count()
    result = charges_upload(actor=demo["desk_county"], episode=episode, lines=[line(1), line(2)])
    assert result.ok and result.added == 0 and result.unchanged == 2
    assert ChargeLine.objects.filter(episode=episode).count() == 2 and AuditEntry.objects.count() == audits


def test_a_batch_with_one_bad_line_writes_nothing_and_lists_every_problem(demo, family):
    episode, _ = admit(demo["desk_county"], family)
    result = charges_upload(actor=demo["desk_county"], episode=episode, lines=[
        line(1), line(2, code="UNKNOWN"), line(3, amount="-5"), line(4, amount="99.99"),
        line(5, qty="1", price="900000", amount="900000.00"), line(6, day=dt.date(2026, 5, 1))])
    assert not result.ok and ChargeLine.objects.filter(episode=episode).count() == 0
    by_line = {e["line_no"]: e for e in result.errors}
    assert by_line[2]["field"] == "facility_item_code" and "未对照" in by_line[2]["message"]
    assert by_line[3]["field"] == "amount" and by_line[4]["field"] == "amount"
    assert "上限" in by_line[5]["message"] and by_line[6]["field"] == "charged_on"
    assert 1 not in by_line


def test_a_changed_line_cannot_overwrite_the_uploaded_one(demo, family):
    episode, _ = admit(demo["desk_county"], family)
    charges_upload(actor=demo["desk_county"], episode=episode, lines=[line(1)])
    result = charges_upload(actor=demo["desk_county"], episode=episode, lines=[line(1, qty="3", amount="46.50")])
    assert not result.ok and "不能覆盖" in result.errors[0]["message"]


def test_another_facility_cannot_touch_the_episode(demo, family):
    episode, _ = admit(demo["desk_county"], family)
    with pytest.raises(NotFound):
        charges_upload(actor=demo["desk_ganting"], episode=episode, lines=[line(1)])


def test_discharge_before_admission_is_refused(demo, family):
    episode, _ = admit(demo["desk_county"], family)
    with pytest.raises(ValidationFailed) as exc:
        episode_discharge(actor=demo["desk_county"], episode=episode, discharge_date=dt.date(2026, 5, 9))
    assert exc.value.field == "discharge_date"
    episode = episode_discharge(actor=demo["desk_county"], episode=episode, discharge_date=dt.date(2026, 5, 18))
    assert episode.status == "discharged" and episode.days == 8

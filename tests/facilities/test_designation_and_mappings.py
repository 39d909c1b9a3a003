import datetime as dt

import pytest
from designation_flow import designation_change

from nrcms.accounts.models import AuditEntry
from nrcms.core.errors import Forbidden, ValidationFailed
from nrcms.facilities.catalogue import charges_resolve, mapping_set
from nrcms.facilities.designation import designation_request
from nrcms.facilities.mappings import mapping_approve
from nrcms.facilities.models import ChargeMapping, Facility
from nrcms.facilities.services import facility_status_on

pytestmark = pytest.mark.django_db


def hospital():
    return Facility.objects.get(code="H610125001")


def test_revocation_is_dated_and_history_kept(demo):
    f = hospital()
    designation_change(demo, f, "suspended", dt.date(2026, 3, 1), "药占比连续三月超标", authority="县合管办〔2026〕9号")
    designation_change(demo, f, "revoked", dt.date(2026, 6, 1), "整改不到位")
    assert facility_status_on(f, dt.date(2026, 2, 28)) == "designated"
    assert facility_status_on(f, dt.date(2026, 3, 15)) == "suspended"
    assert facility_status_on(f, dt.date(2026, 6, 1)) == "revoked"
    assert f.designation_history.count() == 2
    entry = AuditEntry.objects.filter(action="facility.status").latest("seq")
    assert entry.before["status"] == "suspended" and entry.after["status"] == "revoked"


def test_status_change_needs_reason_order_and_the_county_office(demo):
    f = hospital()
    with pytest.raises(ValidationFailed):
        designation_change(demo, f, "revoked", dt.date(2026, 1, 1), "")
    with pytest.raises(Forbidden):
        designation_request(actor=demo["desk_county"], facility=f, action="reinstate",
                            effective_date=dt.date(2026, 1, 1), reason="x", today=dt.date(2026, 1, 1))
    designation_change(demo, f, "suspended", dt.date(2026, 5, 1), "检查")
    with pytest.raises(ValidationFailed) as exc:
        designation_change(demo, f, "designated", dt.date(2026, 4, 1), "恢复")
    assert exc.value.field in ("effective_date", "action")


def test_unmapped_codes_are_reported_never_guessed(demo):
    r = charges_resolve(facility=hospital(), facility_item_codes=["5001-YP0001", "5001-ZL0302", "NOPE"],
                        on=dt.date(2026, 5, 1))
    assert set(r.resolved) == {"5001-YP0001"} and r.resolved["5001-YP0001"].code == "YP0001"
    assert r.unmapped == ["5001-ZL0302", "NOPE"] and not r.ok


def test_codes_before_the_mapping_took_effect_are_unmapped(demo):
    r = charges_resolve(facility=hospital(), facility_item_codes=["5001-YP0001"], on=dt.date(2025, 12, 31))
    assert r.unmapped == ["5001-YP0001"]


def test_remapping_closes_the_old_row_and_past_bills_keep_the_old_mapping(demo):
    f = hospital()
    proposal, _ = mapping_set(actor=demo["desk_county"], facility=f, facility_item_code="5001-YP0001",
                              facility_item_name="阿莫西林", catalogue_code="YP0008", valid_from=dt.date(2026, 8, 1))
    mapping_approve(actor=demo["reviewer"], mapping=proposal)  # a desk only proposes (issue #10)
    assert charges_resolve(facility=f, facility_item_codes=["5001-YP0001"],
                           on=dt.date(2026, 7, 31)).resolved["5001-YP0001"].code == "YP0001"
    assert charges_resolve(facility=f, facility_item_codes=["5001-YP0001"],
                           on=dt.date(2026, 8, 1)).resolved["5001-YP0001"].code == "YP0008"
    assert ChargeMapping.objects.filter(facility=f, facility_item_code="5001-YP0001").count() == 2


def test_a_desk_maps_only_its_own_facility(demo):
    other = Facility.objects.get(code="H610125101")
    with pytest.raises(Forbidden):
        mapping_set(actor=demo["desk_county"], facility=other, facility_item_code="X", facility_item_name="x",
                    catalogue_code="YP0001", valid_from=dt.date(2026, 5, 1))


def test_mapping_to_an_unknown_catalogue_code_is_refused(demo):
    with pytest.raises(ValidationFailed) as exc:
        mapping_set(actor=demo["desk_county"], facility=hospital(), facility_item_code="X", facility_item_name="x",
                    catalogue_code="NOPE", valid_from=dt.date(2026, 5, 1))
    assert exc.value.field == "catalogue_code"


def test_the_same_mapping_again_changes_nothing(demo):
    _, created = mapping_set(actor=demo["desk_county"], facility=hospital(), facility_item_code="5001-YP0001",
                             facility_item_name="阿莫西林胶囊", catalogue_code="YP0001",
                             valid_from=dt.date(2026, 9, 1))
    assert not created

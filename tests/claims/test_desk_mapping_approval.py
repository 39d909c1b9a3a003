"""Issue #10: a hospital desk does not decide how its own charge codes settle. Its mapping is a proposal that
the desk cannot approve; until the county office approves it, the desk's charges are settled without it."""

import datetime as dt
from decimal import Decimal

import pytest

from nrcms.accounts.models import AuditEntry
from nrcms.claims.desk_admission import AdmissionInput, admission_register
from nrcms.claims.desk_charges import ChargeInput, charges_upload
from nrcms.core.errors import Forbidden, ValidationFailed
from nrcms.facilities.catalogue import charges_resolve, mapping_set
from nrcms.facilities.mappings import mapping_approve, mapping_reject
from nrcms.facilities.models import ChargeMapping, MappingStatus

pytestmark = pytest.mark.django_db
ADMIT = dt.date(2026, 5, 10)
COUNTY = "H610125001"


def propose(desk, code="5001-NEW01", catalogue="YP0101", valid_from=dt.date(2026, 5, 1)):
    mapping, _ = mapping_set(actor=desk, facility=desk.facility, facility_item_code=code,
                             facility_item_name="新进药品", catalogue_code=catalogue, valid_from=valid_from)
    return mapping


def upload(desk, family, code):
    episode, _ = admission_register(actor=desk, data=AdmissionInput(
        serial="ZY2026000901", kind="inpatient", id_number=family.head.id_number, admission_date=ADMIT,
        diagnosis_code="I21.9", diagnosis_name="急性心肌梗死"))
    return charges_upload(actor=desk, episode=episode, lines=[ChargeInput(
        line_no=1, facility_item_code=code, item_name="新进药品", charged_on=ADMIT, quantity=Decimal("1"),
        unit_price=Decimal("40"), amount=Decimal("40.00"))])


def test_a_desk_s_mapping_is_only_a_proposal_and_its_charges_are_not_settled_with_it(demo, family):
    desk = demo["desk_county"]
    proposal = propose(desk)
    assert proposal.status == MappingStatus.PROPOSED
    assert charges_resolve(facility=desk.facility, facility_item_codes=["5001-NEW01"], on=ADMIT).unmapped == ["5001-NEW01"]
    result = upload(desk, family, "5001-NEW01")
    assert not result.ok and "未对照" in result.errors[0]["message"]
    assert AuditEntry.objects.filter(action="mapping.propose", object_id=str(proposal.pk)).exists()


def test_the_desk_cannot_approve_its_own_proposal_the_county_office_can(demo, family):
    desk = demo["desk_county"]
    proposal = propose(desk)
    with pytest.raises(Forbidden):
        mapping_approve(actor=desk, mapping=proposal)
    mapping_approve(actor=demo["reviewer"], mapping=proposal, authority="合管办对照审批〔2026〕5号")
    assert upload(desk, family, "5001-NEW01").ok
    entry = AuditEntry.objects.filter(action="mapping.approve").latest("seq")
    assert entry.actor_username == "reviewer" and entry.authority == "合管办对照审批〔2026〕5号"


def test_a_remapping_proposal_leaves_the_approved_mapping_in_force_until_approved(demo):
    desk = demo["desk_county"]
    proposal = propose(desk, code="5001-YP0001", catalogue="YP0008", valid_from=dt.date(2026, 8, 1))
    on = dt.date(2026, 8, 2)
    resolve = lambda: charges_resolve(facility=desk.facility, facility_item_codes=["5001-YP0001"], on=on)  # noqa: E731
    assert resolve().resolved["5001-YP0001"].code == "YP0001"
    mapping_approve(actor=demo["reviewer"], mapping=proposal)
    assert resolve().resolved["5001-YP0001"].code == "YP0008"


def test_a_rejection_needs_a_reason_is_audited_and_is_never_used(demo):
    desk = demo["desk_county"]
    proposal = propose(desk)
    with pytest.raises(ValidationFailed) as exc:
        mapping_reject(actor=demo["reviewer"], mapping=proposal, reason=" ")
    assert exc.value.field == "reason"
    with pytest.raises(Forbidden):
        mapping_reject(actor=desk, mapping=proposal, reason="撤回")
    mapping_reject(actor=demo["reviewer"], mapping=proposal, reason="目录编码选错，应为丙类")
    assert charges_resolve(facility=desk.facility, facility_item_codes=["5001-NEW01"], on=ADMIT).unmapped
    with pytest.raises(ValidationFailed):
        mapping_approve(actor=demo["reviewer"], mapping=proposal)  # decided once
    assert AuditEntry.objects.filter(action="mapping.reject").latest("seq").reason == "目录编码选错，应为丙类"
    propose(desk, catalogue="YP0001")  # a new proposal after the rejection is welcome


def test_one_pending_proposal_per_code(demo):
    desk = demo["desk_county"]
    propose(desk)
    with pytest.raises(ValidationFailed) as exc:
        propose(desk, catalogue="YP0001")
    assert exc.value.field == "facility_item_code" and "待县合管办审批" in exc.value.message


def test_the_api_refuses_the_desk_s_approval_and_takes_the_county_s(client, login, demo):
    login("desk_county")
    response = client.post(f"/api/facilities/{COUNTY}/mappings", {
        "facility_item_code": "5001-NEW02", "facility_item_name": "新药", "catalogue_code": "YP0101",
        "valid_from": "2026-05-01"}, content_type="application/json")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "proposed"
    url = f"/api/facilities/{COUNTY}/mappings/{body['id']}"
    assert client.post(url + "/approve", {}, content_type="application/json").status_code == 403
    login("reviewer")
    response = client.post(url + "/approve", {"authority": "审批单 12"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert ChargeMapping.objects.get(pk=body["id"]).decided_by == demo["reviewer"]


def test_the_page_shows_the_proposal_and_the_county_office_approves_it_there(client, login, demo):
    login("desk_county")
    response = client.post(f"/facilities/{COUNTY}/mappings/", {
        "action": "map", "facility_item_code": "5001-NEW03", "facility_item_name": "新药", "catalogue_code": "YP0101",
        "valid_from": "2026-05-01"}, follow=True)
    html = response.content.decode()
    assert "已提交对照申请" in html and "待审批" in html and 'value="approve"' not in html
    proposal = ChargeMapping.objects.get(facility_item_code="5001-NEW03")
    login("reviewer")
    assert 'value="approve"' in client.get(f"/facilities/{COUNTY}/mappings/?status=proposed").content.decode()
    response = client.post(f"/facilities/{COUNTY}/mappings/", {"action": "approve", "mapping": proposal.pk},
                           follow=True)
    assert "已批准对照" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == MappingStatus.APPROVED

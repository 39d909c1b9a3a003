"""Every role reads only its own jurisdiction, through the selectors."""

import pytest

from nrcms.accounts import audit_selectors, selectors
from nrcms.accounts.audit import audit_record
from nrcms.core.errors import NotFound

pytestmark = pytest.mark.django_db

GANTING, YUXIA, DONGHAN = "610125100", "610125101", "610125100201"


def codes(qs):
    return {r.code for r in qs}


@pytest.mark.parametrize("username", ["admin", "reviewer", "director", "committee", "auditor", "civil"])
def test_county_roles_see_every_region(demo, username):
    from nrcms.registry.models import Region

    assert codes(selectors.region_list(actor=demo[username])) == set(Region.objects.values_list("code", flat=True))


def test_finance_sees_no_household_regions(demo):
    # finance reads the fund, not the registry: the county binding still scopes regions to the county
    assert selectors.region_list(actor=demo["finance"]).count() > 0
    assert not demo["finance"].can("registry.view")


def test_township_clerk_sees_only_own_township(demo):
    seen = codes(selectors.region_list(actor=demo["ganting"]))
    assert seen and all(c.startswith(GANTING) for c in seen)
    assert not any(c.startswith(YUXIA) for c in seen)


def test_township_clerk_cannot_open_another_township(demo):
    with pytest.raises(NotFound):
        selectors.region_get(actor=demo["ganting"], code="610125101000")


def test_village_clerk_sees_only_own_village_and_groups(demo):
    seen = codes(selectors.region_list(actor=demo["donghan"]))
    assert seen == {c for c in seen if c.startswith(DONGHAN)}
    assert "610125100201" in seen and "610125100202000" not in seen and len(seen) == 5


def test_hospital_desk_sees_no_regions_and_only_its_facility(demo):
    desk = demo["desk_ganting"]
    assert selectors.region_list(actor=desk).count() == 0
    assert codes(selectors.facility_list(actor=desk)) == {"H610125101"}
    with pytest.raises(NotFound):
        selectors.facility_get(actor=desk, code="H610125001")


def test_township_clerk_sees_facilities_in_own_township_only(demo):
    seen = codes(selectors.facility_list(actor=demo["ganting"]))
    assert seen == {"H610125001", "H610125002", "H610125101", "C610125100201"}


def test_county_sees_out_of_county_facilities(demo):
    assert "H610100001" in codes(selectors.facility_list(actor=demo["reviewer"]))


def test_audit_is_readable_only_by_audit_roles(demo):
    audit_record(actor=demo["ganting"], action="test.x", region_code="610125100201")
    assert audit_selectors.audit_list(actor=demo["auditor"]).filter(action="test.x").exists()
    assert audit_selectors.audit_list(actor=demo["director"]).filter(action="test.x").exists()
    for username in ["ganting", "desk_county", "finance", "reviewer"]:
        assert audit_selectors.audit_list(actor=demo[username]).count() == 0


def test_township_auditor_sees_only_own_township_audit(demo):
    from nrcms.accounts.services import user_create
    from nrcms.registry.models import Region

    township_auditor = user_create(actor=demo["admin"], username="aud_gt", password="Zx9-audit-pass",
                                   role="auditor", region=Region.objects.get(code="610125100000"))
    audit_record(actor=None, action="test.here", region_code="610125100201")
    audit_record(actor=None, action="test.there", region_code="610125101201")
    seen = set(audit_selectors.audit_list(actor=township_auditor).values_list("action", flat=True))
    assert "test.here" in seen and "test.there" not in seen


def test_only_the_account_administrators_list_users(demo):
    for username in ("admin", "secadmin"):
        assert selectors.user_list(actor=demo[username]).count() == len(demo)
    for username in demo:
        if username not in ("admin", "secadmin"):  # the audit administrator included: accounts are not his
            assert selectors.user_list(actor=demo[username]).count() == 0


def test_inactive_user_sees_nothing(demo):
    from nrcms.accounts.services import user_set_active

    user_set_active(actor=demo["admin"], user=demo["ganting"], active=False, reason="调离")
    demo["ganting"].refresh_from_db()
    assert selectors.region_list(actor=demo["ganting"]).count() == 0


@pytest.mark.parametrize(
    "username,present,absent",
    [
        ("ganting", {"home", "region_list"}, {"audit_list", "user_list", "facility_list"}),
        ("donghan", {"home", "region_list"}, {"audit_list", "user_list", "facility_list"}),
        ("desk_county", {"home", "facility_list", "catalogue_list"}, {"region_list", "audit_list", "user_list"}),
        ("auditor", {"home", "region_list", "facility_list", "audit_list"}, {"user_list"}),
        ("admin", {"home", "user_list", "account_request_list", "backup_list", "regions_load"},
         {"audit_list", "region_list", "household_list", "person_search", "token_list", "security_policy"}),
        ("secadmin", {"home", "user_list", "account_request_list", "token_list", "security_policy"},
         {"audit_list", "region_list", "household_list", "backup_list", "regions_load", "facility_list"}),
        ("auditadmin", {"home", "audit_list"},
         {"user_list", "region_list", "household_list", "person_search", "facility_list", "backup_list",
          "referral_list", "ledger", "statement_list", "account_request_list"}),
        ("finance", {"home"}, {"region_list", "facility_list", "audit_list", "user_list"}),
        ("reviewer", {"home", "region_list", "facility_list", "catalogue_list"}, {"audit_list", "user_list"}),
    ],
)
def test_menu_shows_each_role_only_its_work(demo, username, present, absent):
    from nrcms.web.menu import menu_for

    names = {item["name"] for group in menu_for(demo[username]) for item in group["items"]}
    assert present <= names
    assert not (absent & names)

import pytest

from nrcms.accounts.models import AuditEntry, User
from nrcms.accounts.services import (
    api_token_create,
    api_token_user,
    require_separation,
    user_create,
    user_set_active,
)
from nrcms.core.errors import Forbidden, ValidationFailed
from nrcms.facilities.models import Facility
from nrcms.registry.models import Region

pytestmark = pytest.mark.django_db
PASSWORD = "Strong-pass-91"


def township():
    return Region.objects.get(code="610125100000")


def test_user_create_records_who_created_whom_on_what_authority(demo):
    user = user_create(actor=demo["admin"], username="clerk2", password=PASSWORD, role="township_clerk",
                       display_name="新员工", region=township(), authority="县合管办〔2026〕3号")
    entry = AuditEntry.objects.get(action="user.create", object_id=str(user.pk))
    assert entry.actor_username == "admin"
    assert entry.authority == "县合管办〔2026〕3号"
    assert entry.after["role"] == "township_clerk" and entry.region_code == "610125100000"
    assert user.check_password(PASSWORD) and user.password != PASSWORD


def test_only_the_admin_creates_users(demo):
    with pytest.raises(Forbidden):
        user_create(actor=demo["reviewer"], username="x1", password=PASSWORD, role="auditor",
                    region=Region.objects.get(code="610125000000"))


@pytest.mark.parametrize(
    "role,region_code,facility_code,field",
    [
        ("township_clerk", "610125000000", None, "region"),  # a township clerk bound to the county
        ("village_clerk", "610125100000", None, "region"),  # a village clerk bound to a township
        ("hospital_desk", None, None, "facility"),
        ("hospital_desk", "610125100000", "H610125001", "region"),
        ("finance", "610125100000", None, "region"),
        ("county_reviewer", None, None, "region"),
        ("auditor", "610125000000", "H610125001", "facility"),
        ("no_such_role", "610125000000", None, "role"),
    ],
)
def test_jurisdiction_must_fit_the_role(demo, role, region_code, facility_code, field):
    region = Region.objects.get(code=region_code) if region_code else None
    facility = Facility.objects.get(code=facility_code) if facility_code else None
    with pytest.raises(ValidationFailed) as exc:
        user_create(actor=demo["admin"], username="bad", password=PASSWORD, role=role, region=region,
                    facility=facility)
    assert exc.value.field == field
    assert not User.objects.filter(username="bad").exists()


def test_weak_password_is_refused_with_a_chinese_message(demo):
    with pytest.raises(ValidationFailed) as exc:
        user_create(actor=demo["admin"], username="weak", password="12345678", role="township_clerk",
                    region=township())
    assert exc.value.field == "password" and "密码" in exc.value.message


def test_duplicate_username_is_refused(demo):
    with pytest.raises(ValidationFailed) as exc:
        user_create(actor=demo["admin"], username="ganting", password=PASSWORD, role="township_clerk",
                    region=township())
    assert exc.value.field == "username"


def test_database_refuses_a_desk_account_without_facility(demo):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="raw", role="hospital_desk")


def test_separation_of_duties_refuses_self_approval(demo):
    with pytest.raises(Forbidden) as exc:
        require_separation(preparer=demo["reviewer"], approver=demo["reviewer"], what="拨付申请")
    assert exc.value.code == "separation_of_duties"
    require_separation(preparer=demo["reviewer"], approver=demo["finance"], what="拨付申请")


def test_deactivation_needs_a_reason_and_is_audited(demo):
    with pytest.raises(ValidationFailed):
        user_set_active(actor=demo["admin"], user=demo["yuxia"], active=False, reason=" ")
    user_set_active(actor=demo["admin"], user=demo["yuxia"], active=False, reason="调离岗位")
    entry = AuditEntry.objects.get(action="user.deactivate")
    assert entry.before["is_active"] is True and entry.after["is_active"] is False
    assert entry.reason == "调离岗位"


def test_api_token_is_stored_hashed_and_resolves_its_user(demo):
    token, key = api_token_create(actor=demo["secadmin"], user=demo["desk_county"], name="HIS 接口")
    assert key.startswith("nr_") and key not in token.key_hash
    assert api_token_user(key) == demo["desk_county"]
    assert api_token_user(key + "x") is None

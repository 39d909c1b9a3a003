import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from nrcms.accounts.models import AuditEntry
from nrcms.core.errors import Forbidden, ValidationFailed
from nrcms.facilities.catalogue import catalogue_item_add, catalogue_items_on, diagnosis_search
from nrcms.facilities.models import CatalogueItem

pytestmark = pytest.mark.django_db
JAN1, JUL1 = dt.date(2026, 1, 1), dt.date(2026, 7, 1)


def add(**kw):
    args = {"actor": None, "code": "T001", "name": "测试药", "kind": "drug", "catalogue_class": "B",
            "first_self_pay_share": "0.20", "valid_from": JAN1}
    args.update(kw)
    return catalogue_item_add(**args)


def test_a_new_version_closes_the_previous_one_the_day_before():
    add()
    add(first_self_pay_share="0.10", valid_from=JUL1, authority="县合管办〔2026〕7号")
    old, new = CatalogueItem.objects.filter(code="T001").order_by("valid_from")
    assert old.valid_to == dt.date(2026, 6, 30) and new.valid_to is None
    assert catalogue_items_on(["T001"], dt.date(2026, 6, 30))["T001"].first_self_pay_share == Decimal("0.2")
    assert catalogue_items_on(["T001"], JUL1)["T001"].first_self_pay_share == Decimal("0.1")
    assert AuditEntry.objects.filter(action="catalogue.close").count() == 1


def test_a_version_inserted_before_a_later_one_ends_before_it():
    add(valid_from=JUL1)
    item, _ = add(valid_from=JAN1, first_self_pay_share="0.30")
    assert item.valid_to == dt.date(2026, 6, 30)


def test_loading_the_same_version_twice_changes_nothing():
    add()
    _, created = add()
    assert not created and CatalogueItem.objects.filter(code="T001").count() == 1


def test_a_different_item_on_the_same_date_is_refused():
    add()
    with pytest.raises(ValidationFailed) as exc:
        add(first_self_pay_share="0.50")
    assert exc.value.field == "valid_from"


@pytest.mark.parametrize(
    "kw,field",
    [
        ({"catalogue_class": "A", "first_self_pay_share": "0.1"}, "first_self_pay_share"),
        ({"first_self_pay_share": "1.5"}, "first_self_pay_share"),
        ({"first_self_pay_share": 0.2}, "first_self_pay_share"),
        ({"price_limit": "-3"}, "price_limit"),
        ({"price_limit": "abc"}, "price_limit"),
        ({"catalogue_class": "D"}, "catalogue_class"),
        ({"kind": "food"}, "kind"),
        ({"code": " "}, "code"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_items_are_refused_naming_the_field(kw, field):
    with pytest.raises(ValidationFailed) as exc:
        add(**kw)
    assert exc.value.field == field and exc.value.message


def test_database_refuses_a_first_self_pay_share_on_a_class_a_item():
    with pytest.raises(IntegrityError), transaction.atomic():
        CatalogueItem.objects.create(code="X", name="x", kind="drug", catalogue_class="A",
                                     first_self_pay_share=Decimal("0.1"), valid_from=JAN1)


def test_only_the_county_office_edits_the_catalogue(demo):
    with pytest.raises(Forbidden):
        add(actor=demo["desk_county"])
    item, created = add(actor=demo["reviewer"], code="T002")
    assert created and AuditEntry.objects.filter(action="catalogue.add", object_id=str(item.pk)).exists()


def test_demo_ships_diagnoses_in_both_editions_apart(demo):
    clinical = {d.code for d in diagnosis_search(edition="clinical")}
    insurance = {d.code for d in diagnosis_search(edition="insurance")}
    assert "I21.9" in clinical and "I21.900" in insurance and not clinical & insurance
    assert {d.code for d in diagnosis_search(search="心肌梗死", edition="clinical")} == {"I21.9"}

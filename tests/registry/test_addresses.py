"""Addresses name the village once: 甘亭镇东韩村三组, never 甘亭镇东韩村东韩村三组 (certificate, pages, vouchers)."""

import pytest
from people_factory import family

from nrcms.registry.addresses import address, place_name
from nrcms.registry.certificate_pdf import certificate_pdf
from nrcms.registry.enrollment import certificate_issue, household_enroll
from nrcms.registry.models import Household, Region

VILLAGE, GROUP = "610125100201", "610125100201001"  # 甘亭镇东韩村, 东韩村一组


def test_a_group_named_after_its_village_is_written_once():
    assert place_name(["甘亭镇", "东韩村", "东韩村三组"]) == "甘亭镇东韩村三组"
    assert place_name(["甘亭镇", "东韩村", "三组"]) == "甘亭镇东韩村三组"


def test_a_detailed_address_repeating_the_place_is_not_written_twice():
    assert address(["甘亭镇", "东韩村"], "东韩村三组") == "甘亭镇东韩村三组"
    assert address(["甘亭镇", "东韩村", "一组"], "东韩村一组 12 号") == "甘亭镇东韩村一组12 号"
    assert address(["甘亭镇", "东韩村", "一组"], "一组 12 号") == "甘亭镇东韩村一组12 号"
    assert address(["甘亭镇", "东韩村", "一组"], "户县甘亭镇东韩村一组12号", county="户县") == "甘亭镇东韩村一组12号"
    assert address(["甘亭镇", "东韩村", "一组"], "12 号") == "甘亭镇东韩村一组12 号"
    assert address(["甘亭镇", "东韩村"], "东街 5 号") == "甘亭镇东韩村东街 5 号"
    assert address(["甘亭镇", "东韩村"], "") == "甘亭镇东韩村"


@pytest.mark.django_db
def test_household_address_on_the_certificate_and_the_household_page(demo, client, login):
    clerk = demo["ganting"]
    h = family(clerk, region_code=GROUP)  # address "东韩村一组 12 号"
    household_enroll(actor=clerk, household=h, scheme_year=2026)
    cert = certificate_issue(actor=clerk, household=h)
    _, context = certificate_pdf(cert, scheme_year=2026, with_context=True)
    assert context["address"] == "甘亭镇东韩村一组12 号"
    login("ganting")
    page = client.get(f"/registry/households/{h.pk}/").content.decode()
    assert "甘亭镇东韩村一组12 号" in page and "东韩村东韩村" not in page and "一组东韩村" not in page


@pytest.mark.django_db
def test_a_household_in_a_village_with_its_group_in_the_detail(demo):
    h = Household.objects.create(number="ADDR0001", region=Region.objects.get(code=VILLAGE), address="东韩村三组")
    assert h.full_address == "甘亭镇东韩村三组"

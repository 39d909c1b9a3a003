import pytest
from people_factory import YUXIA_GROUP, family

from nrcms.registry.enrollment import certificate_issue, household_enroll
from nrcms.registry.models import Person
from nrcms.registry.selectors_people import household_list, person_get, person_search

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_townships(demo):
    gan = family(demo["ganting"])
    household_enroll(actor=demo["ganting"], household=gan, scheme_year=2026)
    cert = certificate_issue(actor=demo["ganting"], household=gan)
    yu = family(demo["yuxia"], region_code=YUXIA_GROUP)
    return gan, yu, cert


def test_search_by_name_initials_id_and_certificate(demo, two_townships):
    gan, _, cert = two_townships
    clerk = demo["ganting"]
    head = gan.members.get(relation="head")
    by_name = list(person_search(actor=clerk, search="张建国"))
    assert head in by_name and all("张建国" in p.name for p in by_name)
    by_initials = list(person_search(actor=clerk, search="ZJG"))
    assert head in by_initials and all(p.name_initials.startswith("zjg") for p in by_initials)
    assert list(person_search(actor=clerk, search=head.id_number)) == [head]
    assert list(person_search(actor=clerk, search=head.id_number[:14])) == [head]
    assert person_search(actor=clerk, search=cert.number).count() == 3
    assert list(household_list(actor=clerk, search=cert.number)) == [gan]
    assert gan in household_list(actor=clerk, search="李秀兰")


def test_search_by_village(demo, two_townships):
    gan, _, _ = two_townships
    in_village = household_list(actor=demo["ganting"], region_code="610125100201")
    assert gan in in_village and all(h.region.code.startswith("610125100201") for h in in_village)
    assert gan not in household_list(actor=demo["ganting"], region_code="610125100202")


def test_jurisdiction_scoping(demo, two_townships):
    gan, yu, _ = two_townships
    ganting, yuxia = list(household_list(actor=demo["ganting"])), list(household_list(actor=demo["yuxia"]))
    assert gan in ganting and yu not in ganting and all(h.region.code.startswith("610125100") for h in ganting)
    assert yu in yuxia and gan not in yuxia and all(h.region.code.startswith("610125101") for h in yuxia)
    village = list(household_list(actor=demo["donghan"]))  # a village clerk reads their own village
    assert gan in village and all(h.region.code.startswith("610125100201") for h in village)
    assert not household_list(actor=demo["desk_county"]).exists()
    assert person_search(actor=demo["reviewer"]).count() == Person.objects.count()
    assert not person_search(actor=demo["desk_county"]).exists()
    with pytest.raises(Exception) as exc:
        person_get(actor=demo["yuxia"], pk=gan.members.first().pk)
    assert exc.value.code == "not_found"


def test_list_annotates_head_and_enrollment(demo, two_townships):
    gan, _, cert = two_townships
    row = household_list(actor=demo["ganting"], scheme_year=2026).get(pk=gan.pk)
    assert row.heads[0].name == "张建国" and row.member_count == 3 and row.enrolled_count == 3
    assert row.valid_certificates[0] == cert

import pytest

from nrcms.accounts.models import AuditEntry
from nrcms.core.errors import ValidationFailed
from nrcms.registry.models import Region
from nrcms.registry.services import region_upsert

pytestmark = pytest.mark.django_db


def test_demo_tree_has_county_townships_villages_and_groups(demo):
    assert Region.objects.filter(level="county").count() == 1
    county = Region.objects.get(level="county")
    assert county.code == "610125000000" and county.prefix == "610125"
    village = Region.objects.get(code="610125100201")
    assert village.parent.code == "610125100000" and village.full_name == "甘亭镇东韩村"
    assert Region.objects.get(code="610125100201001").name == "一组"


def test_loading_the_demo_twice_changes_nothing(demo):
    from nrcms.demo.loader import demo_load

    before = (Region.objects.count(), AuditEntry.objects.count())
    demo_load()
    assert (Region.objects.count(), AuditEntry.objects.count()) == before


@pytest.mark.parametrize(
    "code,level,parent_code,message",
    [
        ("61012510000", "township", "610125000000", "12 位数字"),
        ("610126100000", "township", "610125000000", "前缀"),
        ("610125100200", "township", "610125000000", "第 10 位起应为 0"),
        ("610125000000", "village", "610125100000", "前缀"),
        ("610125100299", "township", "610125000000", "第 10 位起应为 0"),
        ("610125199000", "village", "610125000000", "下级不能是"),
    ],
)
def test_bad_codes_are_refused_with_a_reason(demo, code, level, parent_code, message):
    parent = Region.objects.get(code=parent_code)
    with pytest.raises(ValidationFailed) as exc:
        region_upsert(actor=None, code=code, name="测试", level=level, parent=parent)
    assert message in exc.value.message


def test_renaming_a_region_is_audited_with_before_and_after(demo):
    village = Region.objects.get(code="610125100203")
    region_upsert(actor=None, code=village.code, name="南关社区", level="village", parent=village.parent,
                  agricultural_population=village.agricultural_population, authority="县政府〔2026〕12号")
    entry = AuditEntry.objects.filter(action="region.update").latest("seq")
    assert entry.before["name"] == "南关村" and entry.after["name"] == "南关社区"

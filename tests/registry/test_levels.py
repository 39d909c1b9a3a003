"""Level names follow the county's province: 乡镇 / 行政村 in Shaanxi (户县), 苏木 / 嘎查 only in Inner Mongolia."""

import pytest

from nrcms.core.errors import ValidationFailed
from nrcms.registry.levels import level_label, level_labels
from nrcms.registry.models import Region
from nrcms.registry.services import region_upsert

HUXIAN_TOWNSHIP = "610125100000"  # 陕西省户县甘亭镇
IM_TOWNSHIP = "150121200000"  # 内蒙古自治区土默特左旗的一个苏木（代码仅作示例）


def test_shaanxi_county_says_township_and_village_without_sumu_or_gacha():
    labels = level_labels(HUXIAN_TOWNSHIP)
    assert (labels["township"], labels["village"]) == ("乡镇", "行政村")
    assert not any("苏木" in label or "嘎查" in label or "旗" in label for label in labels.values())


def test_inner_mongolia_county_says_sumu_and_gacha():
    assert level_label(IM_TOWNSHIP, "township") == "苏木（乡镇）"
    assert level_label(IM_TOWNSHIP, "village") == "嘎查（行政村）"
    assert level_label("150121000000", "county") == "旗（县、区）"


def test_a_region_shows_its_level_in_its_own_countys_words(db):
    assert Region(code=HUXIAN_TOWNSHIP, level="township").get_level_display() == "乡镇"
    assert Region(code="610125100201", level="village").level_label == "行政村"
    assert Region(code=IM_TOWNSHIP, level="township").get_level_display() == "苏木（乡镇）"
    assert Region(code="150121200201", level="village").get_level_display() == "嘎查（行政村）"


@pytest.mark.django_db
def test_region_pages_export_and_api_of_huxian_say_xiangzhen(client, login):
    login("reviewer")
    html = client.get("/regions/?level=township").content.decode()
    assert "<td>乡镇</td>" in html and "苏木" not in html and "嘎查" not in html
    assert '<option value="village">行政村</option>' in html  # the level picker
    detail = client.get(f"/regions/{HUXIAN_TOWNSHIP}/").content.decode()
    assert "<td>乡镇</td>" in detail and "<td>行政村</td>" in detail and "苏木" not in detail
    items = client.get("/api/regions?level=township&limit=1").json()["items"]
    assert items[0]["level"] == "township" and items[0]["level_label"] == "乡镇"


@pytest.mark.django_db
def test_a_refusal_names_the_level_in_the_countys_words(demo):
    county, _ = region_upsert(actor=None, code="150121000000", name="土默特左旗", level="county", parent=None)
    sumu, _ = region_upsert(actor=None, code=IM_TOWNSHIP, name="塔布赛乡", level="township", parent=county)
    with pytest.raises(ValidationFailed) as exc:
        region_upsert(actor=None, code="150121200201001", name="一组", level="group", parent=sumu)
    assert "下级不能是村民小组" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        region_upsert(actor=None, code="150121201000", name="某嘎查", level="township", parent=sumu)
    assert "塔布赛乡的下级不能是苏木（乡镇）" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        region_upsert(actor=None, code="610125100299", name="某组", level="township",
                      parent=Region.objects.get(code=HUXIAN_TOWNSHIP))
    assert "甘亭镇的下级不能是乡镇" in exc.value.message

"""Identity categories (五保、低保、建档立卡 …) are granted and ended with dates, on the person page and by the
API; every reader shows a category only on the days it is held."""

import datetime as dt
import json

from django.utils import timezone
from people_factory import family

from nrcms.accounts.models import AuditEntry
from nrcms.core.masking import mask_id
from nrcms.registry.models import PersonCategory
from nrcms.registry.people import person_category_grant


def _granted(clerk, **kw):
    household = family(clerk)
    person = household.members.get(relation="spouse")
    values = {"category": "dibao", "valid_from": dt.date(2025, 1, 1), "authority": "民政低保证 2025-031"}
    values.update(kw)
    return person, person_category_grant(actor=clerk, person=person, **values)


def test_a_clerk_ends_a_category_on_the_person_page_with_a_reason_and_it_is_audited(client, login):
    clerk = login("ganting")
    person, row = _granted(clerk)
    page = client.get(f"/registry/persons/{person.pk}/").content.decode()
    assert f"/registry/persons/{person.pk}/category/{row.pk}/end/" in page and "现行" in page
    refused = client.post(f"/registry/persons/{person.pk}/category/{row.pk}/end/", {"valid_to": "2026-03-31"},
                          follow=True).content.decode()
    assert "终止低保认定须填写原因" in refused
    assert PersonCategory.objects.get(pk=row.pk).valid_to is None
    done = client.post(f"/registry/persons/{person.pk}/category/{row.pk}/end/",
                       {"valid_to": "2026-03-31", "reason": "家庭收入超过低保标准，停发"}, follow=True).content.decode()
    assert "已终止" in done and "2026-03-31" in done
    assert PersonCategory.objects.get(pk=row.pk).valid_to == dt.date(2026, 3, 31)
    entry = AuditEntry.objects.filter(action="person.category_end").latest("seq")
    assert entry.reason == "家庭收入超过低保标准，停发" and entry.actor == clerk
    again = client.post(f"/registry/persons/{person.pk}/category/{row.pk}/end/",
                        {"valid_to": "2026-04-30", "reason": "重复"}, follow=True).content.decode()
    assert "已于 2026-03-31 终止，不能再次终止" in again


def test_the_api_lists_adds_and_ends_categories(client, login):
    clerk = login("ganting")
    person = family(clerk).members.get(relation="head")
    url = f"/api/registry/persons/{person.pk}/categories"
    added = client.post(url, json.dumps({"category": "registered_poor", "valid_from": "2025-01-01",
                                         "authority": "扶贫办建档 2025-17"}), content_type="application/json")
    assert added.status_code == 201, added.content
    row = json.loads(added.content)
    assert row["label"] == "建档立卡贫困户" and row["valid_to"] is None and row["held_today"] is True
    missing = client.post(f"{url}/{row['id']}/end", json.dumps({"valid_to": "2026-04-30", "reason": " "}),
                          content_type="application/json")
    assert missing.status_code == 422 and json.loads(missing.content)["field"] == "reason"
    ended = client.post(f"{url}/{row['id']}/end", json.dumps({"valid_to": "2026-04-30", "reason": "脱贫退出"}),
                        content_type="application/json")
    assert ended.status_code == 200, ended.content
    assert json.loads(ended.content)["valid_to"] == "2026-04-30"
    listed = json.loads(client.get(url).content)
    assert [(c["category"], c["valid_to"]) for c in listed] == [("registered_poor", "2026-04-30")]
    assert listed[0]["held_today"] is (timezone.localdate() <= dt.date(2026, 4, 30))
    detail = json.loads(client.get(f"/api/registry/persons/{person.pk}").content)
    assert detail["categories"][0]["id"] == row["id"]
    twice = client.post(f"{url}/{row['id']}/end", json.dumps({"valid_to": "2026-05-31", "reason": "x"}),
                        content_type="application/json")
    body = json.loads(twice.content)
    assert twice.status_code == 422 and body["code"] == "already_ended" and body["field"] == "valid_to"
    other = client.post(f"{url}/999999/end", json.dumps({"valid_to": "2026-05-31", "reason": "x"}),
                        content_type="application/json")
    assert other.status_code == 404


def test_household_page_and_person_search_show_only_categories_held_today(client, login):
    clerk = login("ganting")
    today = timezone.localdate()
    person, _ = _granted(clerk, valid_to=today - dt.timedelta(days=1))  # ended yesterday
    _, future = _granted(clerk, category="wubao", valid_from=today + dt.timedelta(days=30),
                         authority="五保供养证 待生效")
    household = person.household
    page = client.get(f"/registry/households/{household.pk}/").content.decode()
    assert "低保" not in page and "五保户" not in page  # one ended, one not yet begun
    found = client.get("/registry/persons/", {"q": person.name, "category": "dibao"}).content.decode()
    assert mask_id(person.id_number) not in found
    held = PersonCategory.objects.create(person=person, category="disabled", valid_from=dt.date(2020, 1, 1),
                                         valid_to=today + dt.timedelta(days=365), authority="残疾证")
    found = client.get("/registry/persons/", {"q": person.name, "category": "disabled"}).content.decode()
    assert mask_id(person.id_number) in found and person.id_number not in found
    assert "残疾人" in client.get(f"/registry/households/{household.pk}/").content.decode()
    assert held.pk and future.pk

"""Personal data (个人信息保护法): no page, export, printout or API answer carries a full ID number or phone number
of the demo county, for any role, unless that role revealed it for a reason — and the reveal and every export of
persons are in the audit trail.

The walk reuses the URL walking of test_edge_inputs.py (every page of the URLconf, filled with real objects) and
the OpenAPI document (every GET operation). PDFs are checked as the HTML WeasyPrint is given (its output
compresses text); Excel files as the XML inside them."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from test_edge_inputs import _fill, _params_of, _patterns, _samples

from nrcms.core.masking import mask_id, mask_phone, mask_text

pytestmark = pytest.mark.django_db

# One user per role (two for the township clerk: the jurisdiction matters for the reveal).
ROLE_USERS = ("admin", "reviewer", "director", "committee", "finance", "civil", "auditor", "ganting", "donghan",
              "desk_county")
STAFF_PHONE = "13700001111"


@pytest.fixture
def full_numbers(demo):
    """Every full ID number and phone number of the demo county (persons, households, staff)."""
    from nrcms.accounts.models import User
    from nrcms.registry.models import Household, Person

    User.objects.filter(username="reviewer").update(phone=STAFF_PHONE)  # staff phones are personal data too
    numbers = set(Person.objects.values_list("id_number", flat=True))
    numbers |= {p for p in Person.objects.values_list("phone", flat=True) if len(p) >= 7}
    numbers |= {p for p in Household.objects.values_list("phone", flat=True) if len(p) >= 7}
    numbers |= {p for p in User.objects.values_list("phone", flat=True) if len(p) >= 7}
    assert len(numbers) > 500 and STAFF_PHONE in numbers
    return numbers


@pytest.fixture
def pdf_as_html(monkeypatch):
    """WeasyPrint replaced by the HTML it would print: the text of every printout can be searched."""
    import weasyprint

    class HtmlAsPdf:
        def __init__(self, string="", base_url=None, **_):
            self.string = string

        def write_pdf(self, **_):
            return self.string.encode()

    monkeypatch.setattr(weasyprint, "HTML", HtmlAsPdf)


def _text(response) -> str:
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    if body[:2] == b"PK":  # an Excel file: the XML of its sheets and shared strings
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            return "".join(z.read(name).decode("utf-8", "replace") for name in z.namelist() if name.endswith(".xml"))
    return body.decode("utf-8", "replace")


NUMBERISH = re.compile(r"[0-9Xx]{7,18}")


def _leaks(text: str, full: set[str]) -> set[str]:
    return {n for n in NUMBERISH.findall(text) if n in full} | {n for n in full if len(n) < 11 and n in text}


def _api_samples(user) -> dict[str, str]:
    """Real keys for the API's path parameters (the desk's own episodes and settlements for a desk)."""
    from nrcms.claims.models import Episode, ManualClaim, Referral, Settlement
    from nrcms.funding.models import Contribution
    from nrcms.payments.models import FacilityStatement
    from nrcms.registry.models import Household, ImportJob, Person

    episodes = Episode.objects.order_by("pk")
    settlements = Settlement.objects.order_by("pk")
    if user.facility_id:
        episodes = episodes.filter(facility_id=user.facility_id)
        settlements = settlements.filter(episode__facility_id=user.facility_id)

    def key(qs, attr):
        obj = qs.first()
        return str(getattr(obj, attr)) if obj else "1"

    return {
        "households": key(Household.objects.order_by("pk"), "pk"), "persons": key(Person.objects.order_by("pk"), "pk"),
        "imports": key(ImportJob.objects.order_by("pk"), "pk"), "contributions": key(Contribution.objects.order_by("pk"),
                                                                                       "receipt_number"),
        "episodes": key(episodes, "serial"), "settlements": key(settlements, "number"),
        "manual-claims": key(ManualClaim.objects.order_by("pk"), "number"),
        "referrals": key(Referral.objects.order_by("pk"), "number"),
        "statements": key(FacilityStatement.objects.order_by("pk"), "number"),
        "facilities": "H610125001", "regions": "610125100000",
    }


def _api_url(path: str, samples: dict) -> str:
    parts = path.split("/")
    return "/".join(samples.get(parts[i - 1], "1") if re.fullmatch(r"\{\w+\}", p) else p for i, p in enumerate(parts))


@pytest.mark.parametrize("username", ROLE_USERS)  # one test per role, so that parallel workers share the walk
def test_no_page_export_printout_or_api_answer_shows_a_full_number(client, login, full_numbers, pdf_as_html,
                                                                   username):
    from nrcms.accounts.models import LoginAttempt, User
    from nrcms.api.urls import api

    client.raise_request_exception = False
    samples = _samples()
    spec = api.get_openapi_schema()
    pages = list(_patterns())
    problems: dict[str, set[str]] = {}
    walked = 0

    def check(response, what):
        nonlocal walked
        walked += 1
        leaked = _leaks(_text(response), full_numbers)
        if leaked:
            problems[what] = leaked

    User.objects.update(is_active=True)
    LoginAttempt.objects.all().delete()
    user = login(username)
    for route, _name, callback in pages:
        url = _fill(route, samples)
        check(client.get(url), f"{username} GET {url}")
        params = _params_of(callback)
        if "export" in params:
            check(client.get(url, {"export": "xlsx"}), f"{username} GET {url}?export=xlsx")
        if "print" in params:
            check(client.get(url, {"print": "1"}), f"{username} GET {url}?print=1")
    api_samples = _api_samples(user)
    for path, operations in spec["paths"].items():
        if "get" in operations:
            url = _api_url(path, api_samples)
            check(client.get(url), f"{username} GET {url}")
    assert walked > 100
    assert not problems, "full numbers shown:\n" + "\n".join(f"{k}: {sorted(v)[:3]}" for k, v in problems.items())


def test_the_walk_would_see_a_full_number(client, login, full_numbers, demo):
    """The walk's detector is not blind: a page that shows the number (the reveal) is caught."""
    from nrcms.registry.models import Person

    person = Person.objects.filter(household__region__code__startswith="610125100").order_by("pk").first()
    login("reviewer")
    masked = client.get(f"/registry/persons/{person.pk}/")
    assert not _leaks(_text(masked), full_numbers)
    revealed = client.post(f"/registry/persons/{person.pk}/reveal/", {"reason": "核对缴费人身份"})
    assert person.id_number in _leaks(_text(revealed), full_numbers)


# -------------------------------------------------------------------------------------------------- the rules

def test_masking_rules():
    assert mask_id("610125198001011234") == "610125********1234"
    assert mask_id("61012519800101123X") == "610125********123X"
    assert mask_id("610125800101123") == "610125*****1123"  # a 15-digit ID of the first generation
    assert mask_id("12345") == "*2345" and mask_id("1234") == "****" and mask_id("") == ""
    assert mask_phone("13912345678") == "139****5678"
    assert mask_phone("029-84812345") == "029-****2345"
    assert mask_phone("84812345") == "****2345"
    assert mask_phone("") == ""
    assert mask_phone(mask_phone("13912345678")) == "139****5678"  # masking twice changes nothing
    assert mask_id(mask_id("610125198001011234")) == "610125********1234"
    assert mask_text("户主 610125198001011234，电话13912345678，金额 12345678.00") == (
        "户主 610125********1234，电话139****5678，金额 12345678.00")


# ----------------------------------------------------------------------------------------------- the reveal

def _person(region_prefix: str):
    from nrcms.registry.models import Person

    return Person.objects.filter(household__region__code__startswith=region_prefix).exclude(phone="").order_by(
        "pk").first() or Person.objects.filter(household__region__code__startswith=region_prefix).order_by("pk").first()


def test_person_page_masks_and_the_reveal_shows_the_full_numbers_and_is_audited(client, login):
    from nrcms.accounts.models import AuditEntry

    person = _person("610125100")  # 甘亭镇
    login("ganting")
    page = client.get(f"/registry/persons/{person.pk}/").content.decode()
    assert mask_id(person.id_number) in page and person.id_number not in page
    assert "显示完整号码" in page
    response = client.post(f"/registry/persons/{person.pk}/reveal/", {"reason": "核对缴费人身份"})
    assert response.status_code == 200
    html = response.content.decode()
    assert person.id_number in html and "已记入审计记录" in html
    if person.phone:
        assert person.phone in html
    entry = AuditEntry.objects.filter(action="person.reveal").order_by("-seq").first()
    assert entry.actor_username == "ganting" and entry.object_id == str(person.pk)
    assert entry.reason == "核对缴费人身份" and person.id_number not in str(entry.after)
    # the next visit is masked again
    assert person.id_number not in client.get(f"/registry/persons/{person.pk}/").content.decode()


def test_reveal_refused_without_a_reason_without_the_capability_and_outside_the_jurisdiction(client, login):
    from nrcms.accounts.models import AuditEntry

    person = _person("610125100")
    before = AuditEntry.objects.filter(action="person.reveal").count()
    login("reviewer")
    refused = client.post(f"/registry/persons/{person.pk}/reveal/", {"reason": " "})
    assert refused.status_code == 422
    assert "原因" in refused.content.decode() and person.id_number not in refused.content.decode()
    login("auditor")  # may read the registry, may not reveal
    refused = client.post(f"/registry/persons/{person.pk}/reveal/", {"reason": "想看看"})
    assert refused.status_code == 403
    assert "无权查看完整身份证号" in refused.content.decode() and person.id_number not in refused.content.decode()
    assert "显示完整号码" not in client.get(f"/registry/persons/{person.pk}/").content.decode()
    login("yuxia")  # a township clerk of 余下镇: not one of their residents
    refused = client.post(f"/registry/persons/{person.pk}/reveal/", {"reason": "核对身份"})
    assert refused.status_code == 404 and person.id_number not in refused.content.decode()
    assert AuditEntry.objects.filter(action="person.reveal").count() == before


def test_reveal_api_answers_the_full_numbers_with_a_reason_and_refuses_otherwise(client, login):
    from nrcms.accounts.models import AuditEntry

    person = _person("610125100")
    login("reviewer")
    masked = client.get(f"/api/registry/persons/{person.pk}").json()
    assert masked["id_number"] == mask_id(person.id_number) and masked["phone"] == mask_phone(person.phone)
    url = f"/api/registry/persons/{person.pk}/reveal"
    missing = client.post(url, {"reason": ""}, content_type="application/json")
    assert missing.status_code == 422 and missing.json()["field"] == "reason"
    answer = client.post(url, {"reason": "审核手工报销，核对身份"}, content_type="application/json")
    assert answer.status_code == 200
    assert answer.json()["id_number"] == person.id_number and answer.json()["phone"] == person.phone
    entry = AuditEntry.objects.filter(action="person.reveal").order_by("-seq").first()
    assert entry.actor_username == "reviewer" and entry.reason == "审核手工报销，核对身份"
    login("desk_county")
    refused = client.post(url, {"reason": "结算核对"}, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"


def test_audit_page_shows_recorded_numbers_masked(client, login):
    from nrcms.accounts.audit import audit_record
    from nrcms.accounts.models import AuditEntry

    person = _person("610125100")
    audit_record(actor=None, action="person.update_contact", obj=person, before={"phone": "13811112222"},
                 after={"phone": "13911113333", "person": person.id_number},
                 reason=f"户主电话 13911113333 {person.id_number}", region_code=person.household.region.code)
    login("auditor")
    html = client.get("/audit/", {"action": "person.update_contact"}).content.decode()
    assert "139****3333" in html and "138****2222" in html and mask_id(person.id_number) in html
    assert "13911113333" not in html and person.id_number not in html
    api = client.get("/api/audit", {"action": "person.update_contact"}).content.decode()
    assert "13911113333" not in api and person.id_number not in api and "139****3333" in api
    assert AuditEntry.objects.filter(after__phone="13911113333").exists()  # the trail itself keeps the record


# ---------------------------------------------------------------------------------------------- the exports

def test_person_export_is_masked_and_audited_with_filters_and_row_count(client, login):
    from nrcms.accounts.models import AuditEntry
    from nrcms.registry.models import Person

    login("ganting")
    response = client.get("/registry/persons/", {"export": "xlsx", "q": "", "region": "610125100201"})
    assert response.status_code == 200
    text = _text(response)
    rows = Person.objects.filter(household__region__code__startswith="610125100201")
    sample = rows.order_by("pk").first()
    assert mask_id(sample.id_number) in text and sample.id_number not in text
    entry = AuditEntry.objects.filter(action="export").order_by("-seq").first()
    assert entry.actor_username == "ganting" and entry.object_repr == "人员.xlsx"
    assert entry.after["rows"] == rows.count() and "region=610125100201" in entry.after["filters"]
    assert "人员" in entry.after["what"]


def test_printouts_and_other_exports_of_persons_are_audited(client, login, pdf_as_html):
    from nrcms.accounts.models import AuditEntry
    from nrcms.claims.models import Settlement
    from nrcms.funding.models import Contribution
    from nrcms.registry.models import Household

    def last_export():
        return AuditEntry.objects.filter(action="export").order_by("-seq").first()

    login("reviewer")
    assert client.get("/registry/households/", {"export": "xlsx"}).status_code == 200
    assert last_export().object_repr == "家庭户.xlsx" and last_export().after["rows"] > 0
    household = Household.objects.filter(certificates__status="valid").order_by("pk").first()
    assert client.get(f"/registry/households/{household.pk}/certificate.pdf").status_code == 200
    assert last_export().object_repr.startswith("合作医疗证-")
    login("director")
    assert client.get("/audit/", {"export": "xlsx"}).status_code == 200
    assert last_export().object_repr == "审计记录.xlsx"
    settlement = Settlement.objects.order_by("pk").first()
    if settlement is not None:
        login("desk_county" if settlement.episode.facility.code == "H610125001" else "reviewer")
        client.get(f"/api/desk/settlements/{settlement.number}/voucher.pdf")
    contribution = Contribution.objects.order_by("pk").first()
    login("ganting")
    if contribution is not None:
        before = AuditEntry.objects.filter(action="export").count()
        response = client.get(f"/api/funding/contributions/{contribution.receipt_number}/receipt.pdf")
        if response.status_code == 200:
            assert AuditEntry.objects.filter(action="export").count() == before + 1
            assert last_export().after["rows"] == contribution.lines.count()

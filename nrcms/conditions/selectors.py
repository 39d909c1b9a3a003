"""Reads of the registers that other apps need: whether a person was certified for a chronic disease on a day
(the desk and manual claims set `Episode.chronic_certified` from it), and the scheme's chronic list."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from nrcms.policy.rules.fixed_fee import diagnosis_matches

from .models import ChronicCertificate, ChronicStatus

# Names of the chronic-list codes the shipped schemes use; a code not here takes its ICD-10 list name.
CHRONIC_NAMES = {
    "I10": "高血压", "E10": "1型糖尿病", "E11": "2型糖尿病", "E14": "糖尿病", "I25": "慢性缺血性心脏病",
    "J44": "慢性阻塞性肺疾病", "F20": "精神分裂症", "N18": "慢性肾脏病", "I50": "心力衰竭", "I69": "脑血管病后遗症",
    "G20": "帕金森病", "M05": "类风湿关节炎", "K74": "肝硬化", "B18": "慢性病毒性肝炎", "J45": "哮喘",
}


def chronic_certified_on(person_id: int, diagnosis_code: str, on: dt.date) -> bool:
    """Certified on `on` for a disease whose code the diagnosis starts with (as `diagnosis_matches` reads the
    scheme's list): in [certified_on, valid_until] and not revoked before that day."""
    if not diagnosis_code:
        return False
    codes = (ChronicCertificate.objects.filter(person_id=person_id, certified_on__lte=on, valid_until__gte=on)
             .filter(Q(status=ChronicStatus.CERTIFIED) | Q(status=ChronicStatus.REVOKED, revoked_on__gt=on))
             .order_by().values_list("disease_code", flat=True))
    return any(diagnosis_matches(diagnosis_code, (code,)) for code in codes)


def chronic_diseases(on: dt.date | None = None, region_code: str = "") -> list[tuple[str, str]]:
    """(code, Chinese name) of the scheme's outpatient chronic list in force on `on` (the county's approved
    version, else the settings file); empty when the scheme has no chronic rule."""
    from django.utils import timezone

    from nrcms.facilities.models import Diagnosis
    from nrcms.schemes.selectors import desk_scheme, settings_scheme

    on = on or timezone.localdate()
    try:
        scheme_file = desk_scheme(region_code, on, on)[0] if region_code else settings_scheme()
    except Exception:  # noqa: BLE001 — no approved version for the date: the settings file's list
        scheme_file = settings_scheme()
    scheme = scheme_file.select(on) or (scheme_file.versions[0] if scheme_file.versions else None)
    rule = scheme.params.outpatient.chronic if scheme and scheme.params.outpatient else None
    if rule is None:
        return []
    out = []
    for code in rule.diagnoses:
        name = CHRONIC_NAMES.get(code.upper())
        if name is None:
            row = Diagnosis.objects.filter(code__istartswith=code).order_by("code").first()
            name = row.name if row else code
        out.append((code.upper(), name))
    return out

"""The demo county's scheme as a managed record: the file in settings.NRCMS_SCHEME_FILE uploaded by the county
reviewer, checked, simulated and approved by the director — the same steps a county office takes — before any
demo claim is settled, so the demo settlements name the version that settled them."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import transaction

from nrcms.accounts.models import User
from nrcms.policy import load_scheme_file
from nrcms.registry.models import Region, RegionLevel
from nrcms.schemes.models import SchemeStatus, SchemeVersion
from nrcms.schemes.services import scheme_approve, scheme_simulate, scheme_upload

AUTHORITY = "演示数据"


@transaction.atomic
def load_scheme() -> SchemeVersion | None:
    county = Region.objects.get(level=RegionLevel.COUNTY)
    found = SchemeVersion.objects.filter(region=county, status=SchemeStatus.APPROVED).first()
    if found is not None:
        return found
    path = Path(settings.NRCMS_SCHEME_FILE)
    first = load_scheme_file(path).versions[0].effective
    version = scheme_upload(actor=User.objects.get(username="reviewer"), region=county, year=first.year,
                            content=path.read_text(encoding="utf-8"), file_name=path.name, effective_from=first)
    version = scheme_simulate(actor=User.objects.get(username="reviewer"), version=version)
    return scheme_approve(actor=User.objects.get(username="director"), version=version, authority=AUTHORITY)

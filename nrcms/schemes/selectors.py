"""Reads: which scheme settles an episode, the versions a user may see, parsed files cached per SHA-256.

The desk's rule (kept from the file-based desk, now over the database): a county's approved versions are taken
newest `effective_from` first; each names its date rule (the file's `version_date`: the discharge date by
default — a stay is settled on discharge — or the admission date), and the first whose `effective_from` is on
or before that date of the episode settles it. Inside the file, the dated version in force on the same date
applies, as before. With no approved version at all for the county (a fresh install, most tests), the file in
settings.NRCMS_SCHEME_FILE settles, and the settlement records that it did."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from django.conf import settings

from nrcms.core.errors import NotFound, ValidationFailed
from nrcms.policy import SchemeFile, load_scheme_file
from nrcms.policy.scheme import parse_scheme_text
from nrcms.registry.models import Region, RegionLevel

from .models import SchemeStatus, SchemeVersion

_PARSED: dict[str, SchemeFile] = {}  # sha256 → parsed file: the text never changes under its hash


def parsed(version: SchemeVersion) -> SchemeFile:
    found = _PARSED.get(version.sha256)
    if found is None:
        found = parse_scheme_text(version.content, source=version.file_name or version.label)
        if len(_PARSED) > 64:
            _PARSED.clear()
        _PARSED[version.sha256] = found
    return found


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> SchemeFile:
    return load_scheme_file(path)


def settings_scheme() -> SchemeFile:
    """settings.NRCMS_SCHEME_FILE, reloaded when the file changes: the fallback with no approved version."""
    path = Path(settings.NRCMS_SCHEME_FILE)
    return _load(str(path), path.stat().st_mtime)


def county_code(region_code: str) -> str:
    """The pooling region (county) of a region code: its first six digits, padded (610125100201 → 610125000000)."""
    return region_code[:6] + "000000"


def pooling_region(region: Region) -> Region:
    while region.level != RegionLevel.COUNTY and region.parent_id is not None:
        region = region.parent
    return region


def desk_scheme(region_code: str, admission: dt.date, discharge: dt.date | None) -> tuple[SchemeFile, dict]:
    """(the scheme file that settles the episode, the record of where it came from for the settlement)."""
    rows = list(SchemeVersion.objects.filter(region__code=county_code(region_code), status=SchemeStatus.APPROVED)
                .order_by("-effective_from", "-id").only("id", "sha256", "effective_from", "date_rule", "label"))
    if not rows:
        scheme_file = settings_scheme()
        return scheme_file, {"source": "settings_file", "file": Path(settings.NRCMS_SCHEME_FILE).name}
    for row in rows:
        on = admission if row.date_rule == "admission" else (discharge or admission)
        if row.effective_from <= on:
            if row.sha256 not in _PARSED:
                row.refresh_from_db(fields=["content", "file_name"])
            return parsed(row), {"source": "scheme_version", "scheme_version_id": row.id, "sha256": row.sha256,
                                 "label": row.label}
    raise ValidationFailed("no_scheme", f"入院日期 {admission}（出院日期 {discharge or '—'}）没有已批准生效的补偿方案，"
                           "请县合管办先上传并批准该日期适用的方案", field="scheme")


def approved_files() -> list[SchemeFile]:
    """Every approved version's file, newest first: a voucher finds the name and parameters a settlement used."""
    return [parsed(v) for v in SchemeVersion.objects.filter(status=SchemeStatus.APPROVED).order_by("-effective_from")]


def in_force(region: Region, on: dt.date) -> SchemeVersion | None:
    return (SchemeVersion.objects.filter(region=region, status=SchemeStatus.APPROVED, effective_from__lte=on)
            .order_by("-effective_from", "-id").first())


def standing(version: SchemeVersion, today: dt.date) -> str:
    """现行 / 已被替代 / 待生效 for an approved version; the workflow status otherwise."""
    if version.status != SchemeStatus.APPROVED:
        return version.get_status_display()
    if version.effective_from > today:
        return "待生效"
    current = in_force(version.region, today)
    return "现行" if current is not None and current.pk == version.pk else "已被替代"


def version_get(pk: str) -> SchemeVersion:
    """One version by its number as typed in a URL: a Chinese refusal for anything but a whole number in range."""
    from nrcms.web.params import parse_int

    number = parse_int(str(pk), field="id", label="方案编号", max_value=2**31 - 1)
    version = SchemeVersion.objects.select_related("region", "uploaded_by", "approved_by").filter(pk=number).first()
    if version is None:
        raise NotFound("补偿方案", number)
    return version


def county_of(user) -> Region:
    """The pooling region an office account works for: its own county."""
    region = (Region.objects.filter(level=RegionLevel.COUNTY, code=county_code(user.region.code)).first()
              if user.region_id else None)
    if region is None:
        raise ValidationFailed("invalid", "您的账号未绑定到县级统筹地区，不能上传方案", field="region")
    return region

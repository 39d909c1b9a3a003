"""Fixed-fee single diseases (单病种定额/限价包干): the patient pays a fixed amount, the fund pays a fixed
amount to the facility, and the facility bears (or keeps) the difference from the actual cost."""

from __future__ import annotations

from ..scheme import FixedFeePackage, FixedSubsidy
from ..types import Episode


def diagnosis_matches(code: str, prefixes: tuple[str, ...]) -> bool:
    code = (code or "").upper()
    return bool(code) and any(code.startswith(p.upper()) for p in prefixes)


def package_for(packages: tuple[FixedFeePackage, ...], episode: Episode) -> FixedFeePackage | None:
    if not episode.in_county or not episode.designated:
        return None
    for package in packages:
        if episode.facility_level in package.levels and diagnosis_matches(episode.diagnosis_code, package.diagnoses):
            return package
    return None


def subsidies_for(subsidies: tuple[FixedSubsidy, ...], episode: Episode) -> list[FixedSubsidy]:
    return [s for s in subsidies if diagnosis_matches(episode.diagnosis_code, s.diagnoses)]

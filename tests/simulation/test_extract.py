"""The database extract on the demo county: replaying the demo year's settlements under the scheme version
that settled them reproduces every stored amount, settlement by settlement and in total, to the fen."""

from collections import Counter
from decimal import Decimal

import pytest

from nrcms.claims.models import Settlement, SettlementKind, SettlementStatus
from nrcms.claims.settlement import county_scheme
from nrcms.core.money import to_fen
from nrcms.demo.claims import YEAR
from nrcms.simulation.engine import settle_columns
from nrcms.simulation.extract import extract_year, latest_year, year_income
from nrcms.simulation.simulate import simulate

pytestmark = pytest.mark.django_db

# the engine's result column ← the stored settlement's amount (a visit's pooling and chronic-disease payments
# are stored as its basic amount: see reference.scalar_columns)
STORED = {"eligible": "eligible_cost", "deductible": "deductible", "basic": "basic", "fixed_fee": "fixed_fee",
          "subsidy": "subsidy", "family_account": "family_account", "catastrophic": "catastrophic",
          "assistance": "assistance", "safety_net": "safety_net", "fund_total": "fund_total", "self_pay": "self_pay",
          "facility_borne": "facility_borne"}


def _active():
    return (Settlement.objects.filter(kind=SettlementKind.SETTLEMENT, status=SettlementStatus.ACTIVE,
                                      episode__scheme_year=YEAR)
            .select_related("episode").order_by("episode__person_id", "settled_at", "id"))


def _scheme_in_force():
    versions = set(_active().values_list("scheme_version", flat=True))
    assert len(versions) == 1, versions  # the demo year is settled under one version
    (version,) = versions
    return next(v for v in county_scheme().versions if v.version == version)


def test_the_extract_has_one_row_per_active_settlement(demo):
    settlements = list(_active())
    df = extract_year(YEAR)
    assert df.height == len(settlements) > 50
    assert Settlement.objects.filter(status=SettlementStatus.REVERSED, episode__scheme_year=YEAR).exists()
    assert df["total"].sum() == sum(to_fen(s.total_cost) for s in settlements)
    assert Counter(df["kind"].to_list()) == Counter(s.episode.kind for s in settlements)
    assert set(df["person_id"].to_list()) == {s.episode.person_id for s in settlements}
    assert latest_year() == YEAR


def test_replaying_the_year_under_its_scheme_reproduces_every_settlement(demo):
    settlements = list(_active())
    df = extract_year(YEAR)
    result = settle_columns(df, _scheme_in_force())
    result = result.with_columns(basic=result["basic"] + result["outpatient_pooling"] + result["chronic"])
    # rows are in the extract's order, which is the settlements' order above
    for index, s in enumerate(settlements):
        for column, field in STORED.items():
            assert result[column][index] == to_fen(getattr(s, field)), (s.number, column)
        assert not result["refused"][index]
    for column, field in STORED.items():
        assert result[column].sum() == sum(to_fen(getattr(s, field)) for s in settlements), column
    outpatient = [i for i, s in enumerate(settlements) if s.episode.kind == "outpatient"]
    assert sum(result["outpatient_pooling"][i] + result["chronic"][i] for i in outpatient) == \
        sum(to_fen(settlements[i].basic) for i in outpatient)
    # the layered demo reaches catastrophic insurance, assistance and the safety net
    assert min(result[name].sum() for name in ("catastrophic", "assistance", "safety_net")) > 0


def test_simulate_on_the_year_matches_the_stored_totals_and_the_income(demo):
    settlements = list(_active())
    income = year_income(YEAR)
    (outcome,) = simulate(extract_year(YEAR), [("现行", _scheme_in_force())], income=income)
    assert outcome.fund_total == sum(to_fen(s.fund_total) for s in settlements)
    assert outcome.total_cost == sum(to_fen(s.total_cost) for s in settlements)
    assert outcome.self_pay == sum(to_fen(s.self_pay) for s in settlements)
    assert income is not None and income > 0
    assert outcome.balance == income - outcome.nrcms_fund


def test_year_income_is_payers_times_the_standard(demo):
    from nrcms.funding.models import ContributionLine, ContributionStandard, ContributionStatus

    standard = ContributionStandard.objects.filter(scheme_year=YEAR).order_by("-effective_from").first()
    payers = set(ContributionLine.objects.filter(contribution__scheme_year=YEAR, contribution__status=ContributionStatus.VALID,
                                                 contribution__reverses__isnull=True).values_list("person_id", flat=True))
    assert year_income(YEAR) == to_fen(standard.total_per_person) * len(payers)
    assert year_income(1999) is None
    assert standard.total_per_person > Decimal("0")

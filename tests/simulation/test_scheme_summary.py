"""Issue 13: a scheme version's simulation runs on the vectorised engine (nrcms.simulation.scheme_version_summary)
and gives the scalar replay's totals to the fen on the demo county's settlements."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from nrcms.registry.models import Region
from nrcms.schemes.replay import replay_summary
from nrcms.schemes.services import scheme_simulate, scheme_upload, simulation_summary

SCHEMES = Path(__file__).resolve().parents[2] / "nrcms" / "policy" / "schemes"
DEMO = (SCHEMES / "demo-layered-2020.yaml").read_text(encoding="utf-8")
RAISED = DEMO.replace("default: [{rate: \"0.75\"}]", "default: [{rate: \"0.80\"}]")  # county hospital 75 % → 80 %
KEYS = ("year", "claims", "old_total", "new_total", "difference", "changed", "refused", "scheme_version")

pytestmark = pytest.mark.django_db


def version_of(demo, text):
    import datetime as dt

    county = Region.objects.get(code="610125000000")
    return scheme_upload(actor=demo["reviewer"], region=county, year=2027, content=text, file_name="t.yaml",
                         effective_from=dt.date(2026, 11, 25))


def test_the_hook_is_exported_and_answers_for_the_schemes_app():
    from nrcms.simulation import scheme_version_summary
    from nrcms.simulation.scheme_summary import scheme_version_summary as direct

    assert scheme_version_summary is direct


@pytest.mark.parametrize("text", [DEMO, RAISED], ids=["same", "raised"])
def test_both_engines_give_the_same_totals_to_the_fen(demo, text):
    version = version_of(demo, text)
    vectorised, scalar = simulation_summary(version), replay_summary(version)
    assert vectorised["engine"] == "vectorised" and scalar["engine"] == "scalar"
    assert {k: vectorised[k] for k in KEYS} == {k: scalar[k] for k in KEYS}
    assert vectorised["claims"] > 100 and vectorised["year"] == 2026 and vectorised["truncated"] is False
    # the layers add up to the new total, to the fen
    assert sum(Decimal(v) for v in vectorised["layers"].values()) == Decimal(vectorised["new_total"])
    if text is DEMO:  # the same parameters pay what was paid
        assert vectorised["difference"] == "0.00" and vectorised["changed"] == 0
    else:
        assert Decimal(vectorised["difference"]) > 0 and vectorised["changed"] > 0


def test_scheme_simulate_records_the_vectorised_run(demo):
    version = scheme_simulate(actor=demo["reviewer"], version=version_of(demo, RAISED))
    assert version.simulation["engine"] == "vectorised" and version.simulation_run.startswith("vectorised:")
    assert version.simulation["new_total"] == replay_summary(version)["new_total"]

"""The certificate enables the chronic outpatient rate at the desk (issue 14): under a scheme that requires
certification, a non-certified person's visit for a listed diagnosis is settled as an ordinary outpatient visit,
a certified person's at the chronic rate; the settlement keeps what the desk read, and the simulation's extract
replays it to the fen. Scheme: demo-layered-2020 (township pooling 55 %, 60 a visit; chronic 65 %, 3,000 a year;
amounts to the jiao) with certification_required."""

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from nrcms.claims.desk_admission import AdmissionInput, admission_register
from nrcms.claims.desk_charges import ChargeInput, charges_upload
from nrcms.claims.settlement import settlement_settle, settlement_trial
from nrcms.conditions.services import chronic_certify, chronic_revoke
from nrcms.policy import scheme_for, settle
from nrcms.policy.cli import episode_from_dict
from nrcms.schemes.selectors import settings_scheme
from nrcms.simulation.engine import settle_columns
from nrcms.simulation.extract import _stored_charge, extract_year

pytestmark = pytest.mark.django_db
VISIT = dt.date(2026, 5, 10)
# 甘亭镇中心卫生院: 诊查费 A 10.00 + 阿莫西林 A 2 × 45 = 90.00 → 100.00, all in policy
LINES = [("5101-ZL0002", "1", "10", "10.00"), ("5101-YP0001", "2", "45", "90.00")]
UNCERTIFIED = "诊断属门诊慢性病病种，但未经慢性病认定，按普通门诊补偿"


def visit(desk, person, serial, diagnosis="I10.x", day=VISIT):
    episode, _ = admission_register(actor=desk, data=AdmissionInput(
        serial=serial, kind="outpatient", id_number=person.id_number, admission_date=day, diagnosis_code=diagnosis))
    result = charges_upload(actor=desk, episode=episode, lines=[
        ChargeInput(line_no=n, facility_item_code=code, item_name="x", charged_on=day, quantity=Decimal(q),
                    unit_price=Decimal(p), amount=Decimal(a)) for n, (code, q, p, a) in enumerate(LINES, start=1)])
    assert result.ok, result.errors
    return episode


def certify(actor, person, on=dt.date(2026, 1, 15)):
    return chronic_certify(actor=actor, id_number=person.id_number, disease_code="I10", facility_code="H610125001",
                           certified_on=on, valid_until=dt.date(2026, 12, 31))


def texts(settlement) -> list[str]:
    return [line["text"] for line in settlement.result["lines"]]


def test_a_non_certified_persons_chronic_visit_gets_ordinary_outpatient(demo, patients, certification_scheme):
    desk = demo["desk_ganting"]
    s, _ = settlement_settle(actor=desk, episode=visit(desk, patients.head, "MZ-C1"))
    # 100.00 × 55 % = 55.00 by pooling (under 60.00 a visit); the patient pays 45.00
    assert (s.total_cost, s.basic, s.fund_total, s.self_pay) == (
        Decimal("100.00"), Decimal("55.00"), Decimal("55.00"), Decimal("45.00"))
    assert UNCERTIFIED in texts(s)
    assert s.inputs["episode"]["chronic_certified"] is False
    assert s.result["ytd_after"]["chronic_paid"] == "0.00" and s.result["ytd_after"]["outpatient_pooling_paid"] == "55.00"


def test_a_certified_persons_chronic_visit_gets_the_chronic_rate(demo, patients, certification_scheme):
    desk = demo["desk_ganting"]
    certify(demo["reviewer"], patients.head)
    episode = visit(desk, patients.head, "MZ-C2")
    assert settlement_trial(actor=desk, episode=episode).basic == Decimal("65.00")
    s, _ = settlement_settle(actor=desk, episode=episode)
    # 100.00 × 65 % = 65.00 by the chronic rule; the patient pays 35.00
    assert (s.basic, s.fund_total, s.self_pay) == (Decimal("65.00"), Decimal("65.00"), Decimal("35.00"))
    assert UNCERTIFIED not in texts(s) and any("门诊慢性病" in t for t in texts(s))
    assert s.inputs["episode"]["chronic_certified"] is True
    # the spouse, not certified, the same day and diagnosis: ordinary pooling
    other, _ = settlement_settle(actor=desk, episode=visit(desk, patients.spouse, "MZ-C3"))
    assert other.basic == Decimal("55.00")


def test_after_revocation_the_next_visit_is_ordinary_and_the_stored_inputs_replay_the_first(
        demo, patients, certification_scheme):
    desk = demo["desk_ganting"]
    cert = certify(demo["reviewer"], patients.head)
    first, _ = settlement_settle(actor=desk, episode=visit(desk, patients.head, "MZ-C4"))
    chronic_revoke(actor=demo["reviewer"], certificate=cert, revoked_on=dt.date(2026, 5, 11), reason="诊断更正")
    later, _ = settlement_settle(actor=desk, episode=visit(desk, patients.head, "MZ-C5", day=dt.date(2026, 5, 12)))
    assert (first.basic, later.basic) == (Decimal("65.00"), Decimal("55.00"))
    # the stored inputs, replayed after the revocation, still give the first settlement's figures
    data = {**first.inputs["episode"], "categories": first.inputs["categories"],
            "charges": [_stored_charge(c) for c in first.inputs["charges"]]}
    episode, person = episode_from_dict(data)
    replay = settle(episode, scheme_for(settings_scheme(), episode), person=person)
    assert replay.basic == Decimal("65.00")
    # and the simulation's extract of the year, vectorised, pays each visit what the desk paid
    df = extract_year(2026).filter(pl.col("person_id") == patients.head.pk)
    assert df["chronic_certified"].to_list() == [True, False]
    out = settle_columns(df, scheme_for(settings_scheme(), episode))
    assert (out["chronic"].to_list(), out["outpatient_pooling"].to_list()) == ([6500, 0], [0, 5500])  # fen


def test_without_the_requirement_the_desk_pays_the_chronic_rate_as_before(demo, patients, layered_scheme):
    desk = demo["desk_ganting"]
    s, _ = settlement_settle(actor=desk, episode=visit(desk, patients.head, "MZ-C6"))
    assert s.basic == Decimal("65.00") and s.inputs["episode"]["chronic_certified"] is False

"""`nrcms demo build`: a small county (2,000 persons) built by the command into its own SQLite file, read back
with sqlite3 (the test database keeps the small fixed demo the rest of the suite relies on). One build is
shared by the tests; a second build with the same seed must give the same digest."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from stdnum.cn import ric

ROOT = Path(__file__).resolve().parents[2]
SCHEME = ROOT / "nrcms" / "policy" / "schemes" / "huxian-2005.yaml"
PERSONS, YEAR, SEED = 2000, 2025, 7


def _nrcms(*args: str, db: Path) -> str:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev", "NRCMS_SCHEME_FILE": str(SCHEME),
           "NRCMS_VAR_DIR": str(db.parent)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "nrcms.cli", *args, "--database-url", f"sqlite:///{db}"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("demo-build") / "empty.sqlite3"
    _nrcms("migrate", "-v", "0", db=db)
    return db


def _build(migrated: Path, name: str) -> tuple[Path, str]:
    db = migrated.parent / name
    shutil.copy(migrated, db)
    out = _nrcms("demo", "build", "--persons", str(PERSONS), "--year", str(YEAR), "--seed", str(SEED), db=db)
    return db, out


@pytest.fixture(scope="module")
def built(migrated) -> tuple[sqlite3.Connection, str]:
    db, out = _build(migrated, "a.sqlite3")
    return sqlite3.connect(db), out


def one(con, sql, *params):
    return con.execute(sql, params).fetchone()[0]


def fen(values) -> Decimal:
    return sum((Decimal(str(v)).quantize(Decimal("0.01")) for (v,) in values), Decimal("0"))


def test_the_county_has_the_shape_and_the_demo_logins(built):
    con, out = built
    assert one(con, "SELECT count(*) FROM registry_person") == PERSONS
    assert one(con, "SELECT name FROM registry_region WHERE level='county'") == "户县"
    assert one(con, "SELECT count(*) FROM registry_region WHERE level='township'") == 4
    # county.yaml's villages keep their codes and names among the generated ones
    assert one(con, "SELECT name FROM registry_region WHERE code='610125100201'") == "东韩村"
    assert one(con, "SELECT count(*) FROM registry_region WHERE level='group'") >= 20
    levels = {r[0] for r in con.execute("SELECT DISTINCT level FROM facilities_facility")}
    assert levels == {"village", "township", "county", "prefecture", "province"}
    assert "desk_county" in out and "Hx-demo-2026" in out and "NRCMSDEMOHUXIANTOTPSECRETKEY2345" in out
    assert "账簿核对：通过" in out
    size = PERSONS / one(con, "SELECT count(*) FROM registry_household")
    assert 3.3 <= size <= 4.5


def test_every_id_number_passes_the_checksum_on_a_real_division_code(built):
    con, _ = built
    numbers = [r[0] for r in con.execute("SELECT id_number FROM registry_person")]
    assert all(ric.is_valid(n) for n in numbers)
    assert {n[:6] for n in numbers} <= {"612223", "610125", "610118", "610124", "610116", "610402"}


def test_about_85_percent_enrolled_and_the_rest_have_reasons_or_did_not_join(built):
    con, _ = built
    enrolled = one(con, "SELECT count(*) FROM registry_enrollment WHERE scheme_year=? AND status='enrolled'", YEAR)
    exempted = one(con, "SELECT count(*) FROM registry_enrollmentexemption WHERE scheme_year=?", YEAR)
    assert 0.80 <= enrolled / PERSONS <= 0.90
    assert exempted > 0
    # by whole household: nobody in an enrolled household is left without enrollment or a reason
    missing = one(con, """SELECT count(*) FROM registry_person p WHERE p.household_id IN
        (SELECT household_id FROM registry_enrollment WHERE scheme_year=?) AND p.id NOT IN
        (SELECT person_id FROM registry_enrollment WHERE scheme_year=?) AND p.id NOT IN
        (SELECT person_id FROM registry_enrollmentexemption WHERE scheme_year=?)""", YEAR, YEAR, YEAR)
    assert missing == 0


def test_the_enrolled_persons_kept_per_region_equal_the_enrollments(built, migrated):
    """The roster import the build goes through keeps registry.EnrolledCount: region by region it is the
    enrollments' own count, and `nrcms stats rebuild-summaries --check` finds nothing to put right."""
    con, _ = built
    raw = dict(con.execute("""SELECT h.region_id, count(*) FROM registry_enrollment e JOIN registry_household h
        ON h.id = e.household_id WHERE e.scheme_year=? AND e.status='enrolled' GROUP BY h.region_id""", (YEAR,)))
    kept = dict(con.execute("SELECT region_id, persons FROM registry_enrolledcount WHERE scheme_year=? AND persons<>0",
                            (YEAR,)))
    assert len(kept) > 10 and kept == raw
    assert sum(kept.values()) == one(con, "SELECT count(*) FROM registry_enrollment WHERE status='enrolled'")
    out = _nrcms("stats", "rebuild-summaries", "--check", db=migrated.parent / "a.sqlite3")
    assert "按区划参合人数汇总与参合记录逐区划相符" in out


def test_contributions_by_every_payer_and_the_ledger_agrees_to_the_fen(built):
    con, _ = built
    kinds = {r[0] for r in con.execute("SELECT DISTINCT payer_kind FROM funding_contribution")}
    assert kinds == {"self", "collective", "civil_affairs", "cadre_advance"}
    paid = fen(con.execute("SELECT amount FROM funding_contributionline"))
    posted = fen(con.execute("""SELECT l.debit - l.credit FROM funding_journalline l JOIN funding_journalentry e
        ON e.id = l.entry_id JOIN funding_account a ON a.id = l.account_id
        WHERE e.kind = 'contribution' AND a.code = '1001'"""))
    assert paid == posted > 0
    over = one(con, """SELECT count(*) FROM (SELECT person_id, sum(amount) t FROM funding_contributionline
        GROUP BY person_id HAVING t > 10.001)""")
    assert over == 0  # nobody pays more than the 10-yuan standard
    family = fen(con.execute("SELECT family_account_amount FROM funding_contributionline"))
    credited = fen(con.execute("""SELECT l.credit FROM funding_journalline l JOIN funding_journalentry e
        ON e.id = l.entry_id JOIN funding_account a ON a.id = l.account_id
        WHERE e.kind = 'contribution' AND a.code LIKE '3102-%'"""))
    assert family == credited > 0


def test_care_per_10000_enrollees_lands_near_huxian(built):
    con, _ = built
    enrolled = one(con, "SELECT count(*) FROM registry_enrollment WHERE scheme_year=? AND status='enrolled'", YEAR)
    per = 10_000 / enrolled
    admissions = one(con, """SELECT count(*) FROM claims_settlement s JOIN claims_episode e ON e.id = s.episode_id
        WHERE e.kind = 'inpatient'""")
    visits = one(con, """SELECT count(*) FROM claims_settlement s JOIN claims_episode e ON e.id = s.episode_id
        WHERE e.kind = 'outpatient' AND s.fund_total > 0""")
    assert 300 <= admissions * per <= 450  # 户县: 374
    assert 900 <= visits * per <= 1800  # 户县: ≈ 1,300
    fund = fen(con.execute("""SELECT s.fund_total FROM claims_settlement s JOIN claims_episode e
        ON e.id = s.episode_id WHERE e.kind = 'inpatient'"""))
    assert 250 <= fund / admissions <= 700  # 户县: 433.52 per admission
    # what the desks settled is what the ledger owes the facilities
    payable = fen(con.execute("""SELECT l.credit - l.debit FROM funding_journalline l JOIN funding_journalentry e
        ON e.id = l.entry_id JOIN funding_account a ON a.id = l.account_id
        WHERE e.kind = 'settlement' AND a.code LIKE '2201-%'"""))
    assert payable == fen(con.execute("SELECT fund_total FROM claims_settlement"))


def test_vouchers_name_the_county_and_its_scheme(built, migrated):
    db = migrated.parent / "a.sqlite3"
    out = _nrcms("shell", "-c", "from nrcms.claims.models import Settlement; from nrcms.claims.voucher import "
                 "voucher_context as v; c = v(Settlement.objects.order_by('number').first()); "
                 "print(c['office'], c['scheme_name'])", db=db)
    assert "户县新型农村合作医疗管理办公室" in out and "户县新型农村合作医疗补偿方案" in out


def test_family_doctors_sign_most_of_the_poor_and_are_paid_every_ended_month(built):
    con, out = built
    teams = one(con, "SELECT count(*) FROM family_doctors_team")
    assert teams == one(con, "SELECT count(*) FROM facilities_facility WHERE level='township' AND in_county=1") == 4
    poor = {r[0] for r in con.execute("SELECT DISTINCT p.household_id FROM registry_person p JOIN "
                                      "registry_personcategory c ON c.person_id = p.id WHERE c.category='registered_poor'")}
    signed = {r[0] for r in con.execute("SELECT household_id FROM family_doctors_contract")}
    assert len(poor) > 10 and 0.7 <= len(signed & poor) / len(poor) <= 0.97  # 85 % drawn
    assert 0 < len(signed - poor) < len(signed & poor)  # a few others
    # one contract per household, each fee split adding up, the poor package fund 80.00 of 120.00
    assert one(con, "SELECT count(*) FROM family_doctors_contract") == len(signed)
    assert fen(con.execute("SELECT fee - fee_fund - fee_person - fee_public_health FROM family_doctors_contract")) == 0
    splits = {(package, Decimal(str(fee)), Decimal(str(fund)))
              for package, fee, fund in con.execute("SELECT package, fee, fee_fund FROM family_doctors_contract")}
    assert splits == {("poor", Decimal("120"), Decimal("80")), ("basic", Decimal("60"), Decimal("30"))}
    # the year has ended: every team with a counted contract is paid twelve months, once each, through the ledger
    months = one(con, "SELECT count(DISTINCT month) FROM family_doctors_feepayment")
    assert months == 12
    assert one(con, "SELECT count(*) FROM family_doctors_feepayment") == one(
        con, "SELECT count(*) FROM funding_journalentry WHERE kind='family_doctor_fee'")
    posted = fen(con.execute("SELECT l.credit FROM funding_journalline l JOIN funding_journalentry e ON e.id = "
                             "l.entry_id WHERE e.kind='family_doctor_fee' AND l.credit > 0"))
    assert posted == fen(con.execute("SELECT amount FROM family_doctors_feepayment")) > 0
    assert one(con, "SELECT count(*) FROM family_doctors_visit") > 0
    assert "家庭医生签约：4 个团队" in out


def test_the_condition_registers_hold_the_built_countys_records(built):
    """nrcms/demo/build/conditions.py: the 2005 scheme has no outpatient chronic list, so no certificates; one
    serious-illness case (2,000 persons: at least one), at the county hospital, audited."""
    con, out = built
    assert one(con, "SELECT count(*) FROM conditions_chroniccertificate") == 0
    assert one(con, "SELECT count(*) FROM conditions_seriousillnesscase") == 1
    assert one(con, "SELECT f.code FROM conditions_seriousillnesscase c JOIN facilities_facility f "
                    "ON f.id = c.facility_id") == "H610125001"
    assert one(con, "SELECT count(*) FROM accounts_auditentry WHERE action = 'serious.record'") == 1
    assert "门诊慢性病认定 0 人次" in out and "大病集中救治 1 例" in out


def test_the_ledger_check_passes_on_the_built_county(built, migrated):
    out = _nrcms("ledger", "check", "--year", str(YEAR), db=migrated.parent / "a.sqlite3")
    assert "账簿核对通过" in out


def test_same_seed_same_county(built, migrated):
    _, first = built
    _, second = _build(migrated, "b.sqlite3")
    digest = re.compile(r"数据摘要 ([0-9a-f]{64})")
    assert digest.search(first).group(1) == digest.search(second).group(1)

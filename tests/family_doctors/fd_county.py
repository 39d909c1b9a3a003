"""A small fixed county part for the family-doctor tests: township 签约乡 (610125197000) with two villages,
all enrolled in 2026, contracts signed by the county reviewer through the services.

  H1 (甲村) 老甲 (registered poor), 甲妻, 甲子 — household contract C1 with team 东韩村家医团队:
        fee 120.00 = fund 80.00 + person 10.00 + public health 30.00, 2026-03-01 – 2027-02-28
  H2 (甲村) 乙 (registered poor) — contract C3 with team 甘亭镇家医团队: fee 50.00 all fund,
        2026-03-01, cancelled from 2026-03-20 (in force on 1 March, not on 1 April)
  H3 (乙村) 丙 (registered poor), 丁 — person contract C2 for 丙 only with 东韩村家医团队:
        fee 100.00 = fund 80.00 + public health 20.00, 2026-03-15 – 2027-03-14

Hand-computed fees (a contract counts in month M when in force on M's first day; per team
round_amount(Σ fee_fund ÷ 12)):
  2026-03  东韩村: C1 only → 80 ÷ 12 = 6.666… → 6.67;   甘亭镇: C3 → 50 ÷ 12 = 4.166… → 4.17
  2026-04  东韩村: C1 + C2 → 160 ÷ 12 = 13.333… → 13.33 (two roundings would give 6.67 + 6.67 = 13.34);
           甘亭镇: nothing (C3 cancelled 20 March)
Signing rates on 2026-04-01: 甲村 3 of 4 = 75.00 % (poor 1 of 2 = 50.00 %, other 2 of 2 = 100.00 %);
乙村 1 of 2 = 50.00 % (poor 1 of 1 = 100.00 %, other 0 of 1 = 0.00 %); total 4 of 6 = 66.67 %
(poor 2 of 3 = 66.67 %, other 2 of 3 = 66.67 %). Registered poor not signed on 2026-04-01: 乙."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stats"))

from small_county import _household  # noqa: E402

from nrcms.accounts.models import User  # noqa: E402
from nrcms.family_doctors import services as svc  # noqa: E402
from nrcms.registry.models import PersonCategory, Region  # noqa: E402

TOWNSHIP, VILLAGE_A, VILLAGE_B = "610125197000", "610125197201", "610125197202"


def build(demo) -> dict:
    """The demo county's own family-doctor teams and contracts (nrcms/demo/family_doctors.py) are removed first:
    these tests count fees and contracts of their own teams only (the demo's are tested in tests/demo)."""
    from nrcms.family_doctors.models import Contract, FeePayment, Team, TeamMember, Visit

    assert not FeePayment.objects.exists()
    Visit.objects.all().delete()
    Contract.objects.all().delete()
    TeamMember.objects.all().delete()
    Team.objects.all().delete()
    county = Region.objects.get(code="610125000000")
    township = Region.objects.create(code=TOWNSHIP, name="签约乡", level="township", parent=county)
    Region.objects.create(code=VILLAGE_A, name="甲村", level="village", parent=township)
    Region.objects.create(code=VILLAGE_B, name="乙村", level="village", parent=township)
    clerk = User.objects.create_user(username="qianyue", password="x-Secret-2026", role="township_clerk",
                                     region=township)
    h1 = _household(clerk, "QY0001", VILLAGE_A, [("老甲", "head", dt.date(1950, 1, 1), "M"),
                                                 ("甲妻", "spouse", dt.date(1952, 2, 2), "F"),
                                                 ("甲子", "child", dt.date(1980, 3, 3), "M")], 461)
    (yi,) = _household(clerk, "QY0002", VILLAGE_A, [("乙", "head", dt.date(1960, 4, 4), "F")], 471)
    h3 = _household(clerk, "QY0003", VILLAGE_B, [("丙", "head", dt.date(1962, 5, 5), "M"),
                                                 ("丁", "spouse", dt.date(1963, 6, 6), "F")], 481)
    for p in (h1[0], yi, h3[0]):
        PersonCategory.objects.create(person=p, category="registered_poor", valid_from=dt.date(2025, 1, 1))
    reviewer = demo["reviewer"]
    t1 = svc.team_save(actor=reviewer, name="东韩村家医团队", facility_code="C610125100201",
                       members=[("王医生", "doctor"), ("李护士", "nurse"), ("赵村医", "village_doctor")])
    t2 = svc.team_save(actor=reviewer, name="甘亭镇家医团队", facility_code="H610125101",
                       members=[("钱医生", "doctor")])
    c1 = svc.contract_sign(actor=reviewer, team=t1, household=h1[0].household, package="poor",
                           start=dt.date(2026, 3, 1), fee="120.00", fee_fund="80.00", fee_person="10.00",
                           fee_public_health="30.00")
    c2 = svc.contract_sign(actor=reviewer, team=t1, household=h3[0].household, person=h3[0], package="chronic",
                           start=dt.date(2026, 3, 15), fee="100.00", fee_fund="80.00", fee_person="0",
                           fee_public_health="20.00")
    c3 = svc.contract_sign(actor=reviewer, team=t2, household=yi.household, package="poor",
                           start=dt.date(2026, 3, 1), fee="50.00", fee_fund="50.00", fee_person="0",
                           fee_public_health="0")
    c3 = svc.contract_cancel(actor=reviewer, contract=c3, on=dt.date(2026, 3, 20), reason="迁往外县居住")
    return {"t1": t1, "t2": t2, "c1": c1, "c2": c2, "c3": c3, "h1": h1, "yi": yi, "h3": h3, "reviewer": reviewer}

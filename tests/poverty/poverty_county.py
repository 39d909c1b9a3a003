"""A small fixed set of registered-poor patients for the poverty monitor, built from the services like
tests/stats/small_county.py (whose helpers it uses), in a new township 扶贫乡 with two villages, March 2026:

  P1  一村  registered poor since 2025-01-01; inpatient at 户县人民医院 1–10 March, settled 10 March: total
            7,000.00 (bed 300 甲, urokinase 6,000 乙, albumin 700 丙), in-policy 5,100.00, basic 3,450.00,
            safety net 0.9 × 5,100 − 3,450 = 1,140.00 → all layers 4,590.00 = 65.57 % of the total
  P2  二村  registered poor since 2025-01-01; inpatient at 户县人民医院 2–6 March, settled 6 March: bed only,
            100 days' charge 3,000.00 甲 → in-policy 3,000.00, the safety net brings all layers to 2,700.00 = 90.00 %
  P3  二村  registered poor 2020-01-01 – 2026-02-28 (exited before admission): inpatient 3–8 March as P1's —
            not counted, the category was not held on the day of admission
Hand-computed for the township, March 2026: total 10,000.00, in-policy 8,100.00, all layers 7,290.00 → 72.90 %;
out-of-policy 1,900.00 → 19.00 %; no out-of-county stay (referral rate undefined)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stats"))

from small_county import _household, _inpatient  # noqa: E402

from nrcms.accounts.models import User  # noqa: E402
from nrcms.funding.services import contribution_record  # noqa: E402
from nrcms.registry.models import Household, PersonCategory, Region  # noqa: E402

TOWNSHIP, VILLAGE_1, VILLAGE_2 = "610125198000", "610125198201", "610125198202"
BED_ONLY = [("5001-ZL0001", "100", "30", "3000.00")]


def _regions() -> None:
    county = Region.objects.get(code="610125000000")
    township = Region.objects.create(code=TOWNSHIP, name="扶贫乡", level="township", parent=county)
    Region.objects.create(code=VILLAGE_1, name="一村", level="village", parent=township)
    Region.objects.create(code=VILLAGE_2, name="二村", level="village", parent=township)


def build(demo) -> dict:
    _regions()
    clerk = User.objects.create_user(username="fupin", password="x-Secret-2026", role="township_clerk",
                                     region=Region.objects.get(code=TOWNSHIP))
    (p1,) = _household(clerk, "FP0001", VILLAGE_1, [("扶一", "head", dt.date(1955, 5, 5), "M")], 431)
    (p2,) = _household(clerk, "FP0002", VILLAGE_2, [("扶二", "head", dt.date(1957, 6, 6), "F")], 441)
    (p3,) = _household(clerk, "FP0003", VILLAGE_2, [("扶三", "head", dt.date(1959, 7, 7), "M")], 451)
    for p in (p1, p2):
        PersonCategory.objects.create(person=p, category="registered_poor", valid_from=dt.date(2025, 1, 1))
    PersonCategory.objects.create(person=p3, category="registered_poor", valid_from=dt.date(2020, 1, 1),
                                  valid_to=dt.date(2026, 2, 28))
    for household in Household.objects.filter(number__in=["FP0001", "FP0002", "FP0003"]):
        contribution_record(actor=clerk, household=household, scheme_year=2026, payer_kind="self",
                            payer_name="本人", paid_on=dt.date(2026, 2, 1))
    desk = demo["desk_county"]
    s1 = _inpatient(desk, p1, "FP-ZY1", dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    s2 = _inpatient(desk, p2, "FP-ZY2", dt.date(2026, 3, 2), dt.date(2026, 3, 6), BED_ONLY)
    s3 = _inpatient(desk, p3, "FP-ZY3", dt.date(2026, 3, 3), dt.date(2026, 3, 8))
    return {"P1": p1, "P2": p2, "P3": p3, "s1": s1, "s2": s2, "s3": s3}

"""Every dashboard panel and statistics report of a county, pickled, so that two versions of the code can be
shown to give the same figures to the fen on the same database (a speed-up must change no figure):

    git archive <old commit> | tar -x -C /tmp/old
    cd /tmp && DATABASE_URL=… ROOT=/tmp/old python <repo>/bench/compare_county_figures.py /tmp/old.pkl
    cd /tmp && DATABASE_URL=… ROOT=<repo> python <repo>/bench/compare_county_figures.py /tmp/new.pkl --against /tmp/old.pkl

ROOT is the checkout whose code is imported (run from outside both checkouts)."""

import datetime as dt
import os
import pickle
import sys

root = os.environ["ROOT"]
sys.path.insert(0, root)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

import nrcms.stats.dashboard as dash  # noqa: E402
from nrcms.registry.models import Region  # noqa: E402
from nrcms.stats.facility_shares import facility_rows  # noqa: E402
from nrcms.stats.indicators import by_kind, indicators  # noqa: E402
from nrcms.stats.ledgers import ledgers  # noqa: E402
from nrcms.stats.reports import report_build  # noqa: E402
from nrcms.stats.scope import Scope, month_range  # noqa: E402

assert dash.__file__.startswith(root), dash.__file__  # the code of ROOT, not of an installed checkout
today = dt.date(2026, 12, 7)  # the bench county (bench_county_queries.py): its year 2026 as of 7 December
out = {}
out["dash"] = dash.dashboard(2026, today)
out["head"] = dash.headline(today)
ys = Scope(start=dt.date(2026, 1, 1), end=today, region_name="x")
out["ind"] = [(i.key, i.value) for i in indicators(ys)]
out["kind"] = by_kind(ys)
out["led"] = ledgers(ys).__dict__
out["fac"] = facility_rows(ys)
for m in (1, 6, 12):
    ms = Scope(*month_range(2026, m), region_name="x")
    for r in ("fund-monthly", "reimbursement-monthly"):
        out[f"{r}{m}"] = [(t.caption, t.rows) for t in report_build(r, ms).tables]
out["ys"] = [(t.caption, t.rows) for t in report_build("year-summary", ys).tables]
town = Region.objects.filter(level="township").order_by("code").first()
ts = Scope(start=dt.date(2026, 1, 1), end=today, region_name="t", region_prefix=town.code[:9])
out["ind_t"] = [(i.key, i.value) for i in indicators(ts)]
out["kind_t"] = by_kind(ts)
with open(sys.argv[1], "wb") as f:
    pickle.dump(out, f)
print(f"{len(out)} 项已写入 {sys.argv[1]}")
if "--against" in sys.argv:
    with open(sys.argv[sys.argv.index("--against") + 1], "rb") as f:
        old = pickle.load(f)
    differ = [k for k in old if old[k] != out.get(k)]
    print("与旧版本逐项相同" if not differ else f"不同：{differ}")
    sys.exit(1 if differ else 0)

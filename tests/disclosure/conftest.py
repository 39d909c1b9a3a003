import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stats"))  # the small county of tests/stats


@pytest.fixture
def small(demo, monkeypatch):
    """tests/stats/small_county.py: 试验乡 with 甲村 and 乙村, settlements in March 2026, reversals in April."""
    from small_county import build

    return build(demo, monkeypatch)

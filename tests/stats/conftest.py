import pytest


@pytest.fixture
def small(demo, monkeypatch):
    """The small fixed county of small_county.py, built from the services."""
    from small_county import build

    return build(demo, monkeypatch)

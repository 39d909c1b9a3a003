import pytest


@pytest.fixture
def fd(demo):
    """The family-doctor part of the county of fd_county.py, built from the services."""
    from fd_county import build

    return build(demo)

import pytest


@pytest.fixture
def poor(demo):
    """The registered-poor patients of poverty_county.py, built from the services."""
    from poverty_county import build

    return build(demo)

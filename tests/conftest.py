import pytest


@pytest.fixture
def demo(db):
    """The demo county: regions, facilities, one user per role. Returns username -> User."""
    from nrcms.accounts.models import User
    from nrcms.demo.loader import demo_load

    demo_load()
    return {u.username: u for u in User.objects.select_related("region", "facility")}


@pytest.fixture
def demo_password():
    from nrcms.demo.loader import load_data

    return load_data()["password"]


@pytest.fixture
def login(client, demo, demo_password):
    """Log the test client in as a demo user: login("ganting")."""

    def _login(username: str):
        client.logout()
        response = client.post("/login/", {"username": username, "password": demo_password})
        assert response.status_code == 302, response.content.decode()[:500]
        return demo[username]

    return _login

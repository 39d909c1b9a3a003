import pytest


@pytest.fixture
def fail_login():
    """fail_login(username, ip): one wrong password, through the same two steps as the login form."""
    from nrcms.accounts.login import login_begin, login_finish

    def _fail(username: str, ip: str | None = "10.0.0.9"):
        charge = login_begin(username=username, ip=ip)
        if charge.allowed:
            login_finish(charge=charge, user=None)
        return charge

    return _fail

import pytest
from two_step import totp_code

# The walks over every page and operation take minutes each: started first, they run beside the rest on the
# parallel workers instead of leaving one worker busy alone at the end.
LONG_WALKS = ("tests/web/test_edge_inputs.py::test_every_page", "tests/web/test_personal_data_masking.py::test_no_page",
              "tests/api/test_schemathesis.py")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: not item.nodeid.startswith(LONG_WALKS))


def _demo_present() -> bool:
    from nrcms.accounts.models import User

    return User.objects.filter(username="desk_county").exists()


@pytest.fixture(scope="session", autouse=True)
def flush_lifts_the_audit_guard():
    """Transactional tests end with a flush (DELETE or TRUNCATE of every table): let it past the audit tables'
    append-only triggers the way `nrcms audit archive` does, inside the flush's own transaction."""
    from django.db.backends.base.operations import BaseDatabaseOperations

    from nrcms.accounts import audit_guard

    original = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        import demo_snapshot

        vendor = self.connection.vendor
        original(self, [*audit_guard.lift_sql(vendor), *sql_list, *audit_guard.restore_sql(vendor)])
        # A browser test's flush puts the demo county back at once (from the copy taken when it was first loaded):
        # the next test starts from the very database every test starts from, never from an empty one that a
        # fixture would fill in the middle of that test's own writes.
        if demo_snapshot.available():
            demo_snapshot.restore()

    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    BaseDatabaseOperations.execute_sql_flush = original


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the demo county once per test database (per xdist worker): each test then runs in a transaction
    that is rolled back, so every test starts from the same demo county without paying for loading it."""
    import demo_snapshot

    from nrcms.demo.loader import demo_load

    with django_db_blocker.unblock():
        demo_load()
        demo_snapshot.take()


@pytest.fixture
def demo(db):
    """The demo county: regions, facilities, people, one user per role. Returns username -> User.
    Browser tests (transactional) flush the database when they end, so put it back if it is gone: from the copy
    taken when it was first loaded (tests/demo_snapshot.py), or by loading it again."""
    import demo_snapshot

    from nrcms.accounts.models import User
    from nrcms.demo.loader import demo_load

    if not _demo_present():
        if demo_snapshot.available():
            demo_snapshot.restore()
        else:
            demo_load()
    return {u.username: u for u in User.objects.select_related("region", "facility")}


@pytest.fixture
def demo_password():
    from nrcms.demo.loader import load_data

    return load_data()["password"]


@pytest.fixture
def login(client, demo, demo_password):
    """Log the test client in as a demo user: login("ganting"). Users with two-step sign-in (the demo's
    administrators, finance and reviewers) also pass the second page with their current code."""

    def _login(username: str):
        client.logout()
        response = client.post("/login/", {"username": username, "password": demo_password})
        assert response.status_code == 302, response.content.decode()[:500]
        if response["Location"].startswith("/login/verify/"):
            response = client.post("/login/verify/", {"code": totp_code(username)})
            assert response.status_code == 302, response.content.decode()[:500]
        return demo[username]

    return _login


@pytest.fixture
def scheme_file(settings, db):
    """Settle by a scheme file rather than the county's approved versions (the demo registers one): removes
    the versions in this test's transaction, so the desk falls back to settings.NRCMS_SCHEME_FILE."""

    def use(path) -> None:
        from nrcms.schemes.models import SchemeVersion

        SchemeVersion.objects.all().delete()
        settings.NRCMS_SCHEME_FILE = str(path)

    return use

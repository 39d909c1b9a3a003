"""Issue #10: the client's address comes from REMOTE_ADDR, or behind a proxy from the one configured header;
a header that was not configured is never trusted."""

from django.test import RequestFactory

from nrcms.accounts.client_ip import client_ip

rf = RequestFactory()


def test_without_configuration_a_forwarding_header_is_ignored(settings):
    settings.NRCMS_CLIENT_IP_HEADER = ""
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4", HTTP_X_REAL_IP="5.6.7.8")
    assert client_ip(request) == "10.0.0.2"


def test_the_configured_real_ip_header_is_used(settings):
    settings.NRCMS_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.7", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "203.0.113.7"


def test_forwarded_for_takes_the_address_our_proxy_appended_not_what_the_client_wrote(settings):
    settings.NRCMS_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.NRCMS_TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert client_ip(request) == "203.0.113.7"
    settings.NRCMS_TRUSTED_PROXY_COUNT = 2  # a load balancer in front of nginx
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7, 10.0.0.1")
    assert client_ip(request) == "203.0.113.7"


def test_a_garbled_header_falls_back_to_the_peer_address(settings):
    settings.NRCMS_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    assert client_ip(rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="<script>")) == "127.0.0.1"
    assert client_ip(rf.get("/", REMOTE_ADDR="127.0.0.1")) == "127.0.0.1"


def test_the_login_audit_row_carries_the_address_from_the_configured_header(client, demo, demo_password,
                                                                           settings):
    from nrcms.accounts.models import AuditEntry

    settings.NRCMS_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    client.post("/login/", {"username": "ganting", "password": demo_password}, REMOTE_ADDR="127.0.0.1",
                HTTP_X_REAL_IP="203.0.113.50")
    assert AuditEntry.objects.filter(action="user.login").latest("seq").ip == "203.0.113.50"

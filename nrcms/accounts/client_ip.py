"""The client's address for the audit trail and the lockout.

Behind a reverse proxy REMOTE_ADDR is the proxy. The address is then read from the one header the
installation names (NRCMS_CLIENT_IP_HEADER, e.g. "HTTP_X_REAL_IP" or "HTTP_X_FORWARDED_FOR"), and only then:
a header the installation did not configure is written by whoever sends the request and is never trusted.
For X-Forwarded-For, NRCMS_TRUSTED_PROXY_COUNT says how many proxies of ours append to it: the address is the
one that the outermost of them appended (counted from the right), so entries a client put in front are
ignored.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _valid(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    if request is None:
        return None
    remote = _valid(request.META.get("REMOTE_ADDR") or "")
    header = getattr(settings, "NRCMS_CLIENT_IP_HEADER", "")
    if not header:
        return remote
    value = request.META.get(header, "")
    if not value:
        return remote  # the request did not come through the proxy (e.g. a health check on localhost)
    parts = [p for p in (item.strip() for item in value.split(",")) if p]
    proxies = max(1, int(getattr(settings, "NRCMS_TRUSTED_PROXY_COUNT", 1)))
    if not parts:
        return remote
    chosen = parts[-proxies] if len(parts) >= proxies else parts[0]
    return _valid(chosen) or remote

"""The Content-Security-Policy header on every response.

Scripts come only from our own static files (script-src 'self'): no inline <script> and no on*= attributes in
templates; behaviours live in web/static/web/nrcms.js, HTMX and ECharts are served from static/vendor, and the
API docs use django-ninja's bundled Swagger UI (not a CDN). Inline style attributes stay allowed: they carry no
code, and print layouts (vouchers, slips) use them. NRCMS_CSP replaces the whole policy; empty turns it off.
"""

from __future__ import annotations

from django.conf import settings

DEFAULT_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "NRCMS_CSP", DEFAULT_POLICY)
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response

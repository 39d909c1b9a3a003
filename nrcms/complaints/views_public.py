"""The public's complaint page (no login): file a complaint, get a tracking code, look up its progress by the
code. Rate-limited per client address; the lookup takes the exact code only, so nobody can search others'."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render

from nrcms.accounts.client_ip import client_ip
from nrcms.accounts.rate_limit import RateLimited, rate_take
from nrcms.core.errors import ValidationFailed
from nrcms.registry.models import Region

from . import selectors as sel
from . import services
from .models import ComplaintKind

LOOKUPS_PER_MINUTE = 20


def _townships():
    return Region.objects.filter(level="township").order_by("code").values_list("code", "name")


@login_not_required
def public_complaint(request):
    data, error, filed = {}, None, None
    status = 200
    if request.method == "POST":
        data = request.POST
        try:
            filed = services.complaint_file_public(
                kind=data.get("kind", ""), subject=data.get("subject", ""), content=data.get("content", ""),
                complainant_name=data.get("complainant_name", ""), complainant_phone=data.get("complainant_phone", ""),
                region_code=data.get("region_code", "").strip(), ip=client_ip(request))
        except RateLimited as exc:
            error, status = exc, 429
        except ValidationFailed as exc:
            error, status = exc, 422
    response = render(request, "complaints/public_complaint.html", {
        "data": data, "error": error, "filed": filed, "kinds": ComplaintKind.choices, "townships": _townships(),
    }, status=status)
    if status == 429:
        response["Retry-After"] = str(error.retry_after)
    return response


@login_not_required
def public_track(request):
    code = (request.GET.get("code") or "").strip()[:20]
    complaint, error, status = None, None, 200
    if code:
        decision = rate_take(scope="complaint.lookup", key=client_ip(request) or "unknown", limit=LOOKUPS_PER_MINUTE)
        if not decision.allowed:
            error, status = "查询过于频繁，请一分钟后再试", 429
        else:
            complaint = sel.public_lookup(code)
            if complaint is None:
                error, status = "没有这个查询码的投诉：请核对 10 位查询码（不区分大小写）", 404
    return render(request, "complaints/public_track.html", {"code": code, "c": complaint, "error": error},
                  status=status)

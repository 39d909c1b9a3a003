"""/public/: the published disclosure lists for anyone, without login — township → village → month, no search.
Rate-limited per client address (429 in Chinese); the site's CSP applies as on every page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from nrcms.accounts.rate_limit import RateLimited

from .public import months_of, public_list, public_rate, public_township, public_village, townships, villages

PAGE_SIZE = 50


@login_not_required
@require_GET
def public_home(request):
    try:
        public_rate(request)
    except RateLimited as exc:
        response = render(request, "disclosure/public_limited.html", {"error": exc}, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    context = {"townships": townships(), "township": None, "village": None, "villages": [], "months": [],
               "listing": None, "page": None}
    if request.GET.get("township"):
        township = context["township"] = public_township(request.GET["township"])
        context["villages"] = villages(township)
        if request.GET.get("village"):
            village = context["village"] = public_village(request.GET["village"], township)
            context["months"] = months_of(village)
            month = (request.GET.get("month") or "").strip()
            if month:
                listing = context["listing"] = public_list(village, month)
                context["page"] = Paginator(listing.rows, PAGE_SIZE).get_page(request.GET.get("page"))
                context["month"] = month
    return render(request, "disclosure/public.html", context)

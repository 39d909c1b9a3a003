"""/favicon.ico: browsers and bookmark tools ask for it at the root whatever the page links, so it is served
here (no login, cached for a day) rather than left to answer 404 in every log."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


@login_not_required
@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request):
    path = finders.find("web/favicon.ico")
    if path is None:
        raise Http404("favicon.ico")
    return FileResponse(open(path, "rb"), content_type="image/x-icon")  # noqa: SIM115 - the response closes it

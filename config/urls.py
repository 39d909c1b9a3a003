from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from nrcms.api.urls import api
from nrcms.web.favicon import favicon

urlpatterns = [
    path("api/", api.urls),
    path("favicon.ico", favicon, name="favicon"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("registry/", include("nrcms.registry.urls")),
    path("funding/", include("nrcms.funding.urls")),
    path("desk/", include("nrcms.claims.urls")),
    path("settlements/", include("nrcms.claims.urls_search")),
    path("manual/", include("nrcms.claims.urls_manual")),
    path("referrals/", include("nrcms.claims.urls_referral")),
    path("payments/", include("nrcms.payments.urls")),
    path("ops/", include("nrcms.ops.urls")),
    path("stats/", include("nrcms.stats.urls")),
    path("complaints/", include("nrcms.complaints.urls")),
    path("public/", include("nrcms.complaints.urls_public")),
    path("supervision/", include("nrcms.supervision.urls")),
    path("schemes/", include("nrcms.schemes.urls")),
    path("disclosure/", include("nrcms.disclosure.urls")),
    path("public/", include("nrcms.disclosure.urls_public")),  # no login: published disclosure lists
    path("simulation/", include("nrcms.simulation.urls")),
    path("poverty/", include("nrcms.poverty.urls")),
    path("family-doctors/", include("nrcms.family_doctors.urls")),
    path("conditions/", include("nrcms.conditions.urls")),
    path("", include("nrcms.facilities.urls")),
    path("", include("nrcms.web.urls")),
]

# Last-resort answers in Chinese; JSON in the API's error shape under /api/.
handler400 = "nrcms.web.errors.bad_request"
handler403 = "nrcms.web.errors.permission_denied"
handler404 = "nrcms.web.errors.page_not_found"
handler500 = "nrcms.web.errors.server_error"

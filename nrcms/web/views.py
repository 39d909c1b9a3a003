"""Pages. Each view reads through a selector or calls exactly one service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView, LogoutView
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone

from nrcms.accounts import audit_selectors, selectors, services
from nrcms.accounts.audit_labels import action_choices, object_type_choices
from nrcms.accounts.audit_selectors import PERSON_MATCH_LIMIT
from nrcms.accounts.audit_verification import audit_verify
from nrcms.accounts.client_ip import client_ip
from nrcms.accounts.export_log import export_filters
from nrcms.accounts.login import user_logout_record
from nrcms.accounts.middleware import SESSION_EXPIRED_PARAM
from nrcms.accounts.passwords import expired_message, password_expired
from nrcms.accounts.roles import Cap, Role
from nrcms.core.errors import Forbidden, NrcmsError
from nrcms.core.export import xlsx_response
from nrcms.facilities.services import facilities_with_status
from nrcms.registry.models import Region
from nrcms.registry.selectors_regions import county_level_choices

from .audit_page import audit_export, audit_filters, decorate
from .forms import LockoutAuthenticationForm, PasswordChangeForm
from .todo import todo_items

PAGE_SIZE = 30


def paged(request, qs, size: int = PAGE_SIZE):
    return Paginator(qs, size).get_page(request.GET.get("page"))


def need(request, capability: str) -> None:
    if not request.user.can(capability):
        raise Forbidden()


@login_not_required
def healthz(request):
    from django.http import JsonResponse

    return JsonResponse({"ok": True})


class NrcmsLoginView(LoginView):
    form_class = LockoutAuthenticationForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        """A right password. An account that owes a second step (its code, or the enrolment its role requires)
        is not signed in yet: the session only remembers it, and the next page asks for the code."""
        step = getattr(form, "second_step", "")
        if not step:
            return super().form_valid(form)
        from .views_two_factor import pending_begin

        user = form.get_user()
        pending_begin(self.request, user=user, backend=user.backend, next_url=self.get_redirect_url())
        return redirect("login_verify" if step == "verify" else "login_enrol")

    def get_context_data(self, **kwargs):
        # Set by LoginRequiredMiddleware when an HTMX action found the session gone.
        expired = self.request.GET.get(SESSION_EXPIRED_PARAM) == "1"
        return super().get_context_data(session_expired=expired, **kwargs)


class NrcmsLogoutView(LogoutView):
    """Django's logout, recorded in the audit trail with the client's address."""

    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            user_logout_record(user=request.user, ip=client_ip(request))
        return super().post(request, *args, **kwargs)


DASHBOARD_HOME = (Role.COUNTY_DIRECTOR, Role.COMMITTEE)


def home(request):
    user = request.user
    j = selectors.jurisdiction_of(user)
    context = {"j": j}
    context["todo"] = todo_items(actor=user)
    if user.role == Role.HOSPITAL_DESK:
        context["facility"] = facilities_with_status([user.facility])[0] if user.facility else None
    else:
        context["child_regions"] = (
            Region.objects.filter(parent=user.region).order_by("code") if user.region else Region.objects.none()
        )
        context["region_count"] = selectors.region_list(actor=user).count()
        context["facility_count"] = selectors.facility_list(actor=user).count()
        if user.can(Cap.USERS_APPROVE):  # the administrators' to-do: account requests awaiting their approval
            from nrcms.accounts.account_requests import account_requests_to_decide

            context["requests_to_decide"] = account_requests_to_decide(actor=user)
        if user.can(Cap.CONTRIBUTION_COLLECT):  # the clerk's work: the counts are in the to-do list (todo.py)
            context["year"] = timezone.localdate().year
            context["outstanding"] = sum(t.count for t in context["todo"] if t.key.startswith("households-"))
        if user.role in DASHBOARD_HOME and j.is_county:  # the director's and the committee's headline, loaded
            context["headline"] = True  # after the page (stats_headline): the home page never waits for it
    return render(request, "web/home.html", context)


def region_list(request):
    need(request, Cap.REGISTRY_VIEW)
    search = request.GET.get("q", "").strip()
    level = request.GET.get("level", "")
    qs = selectors.region_list(actor=request.user, search=search, level=level)
    if request.GET.get("export") == "xlsx":
        rows = ((r.code, r.name, r.get_level_display(), r.parent.name if r.parent else "",
                 r.agricultural_population) for r in qs)
        return xlsx_response("行政区划.xlsx", "行政区划", ["区划代码", "名称", "层级", "上级", "农业人口"], rows)
    return render(request, "web/region_list.html", {
        "page": paged(request, qs), "q": search, "level": level, "levels": county_level_choices(),
    })


def region_detail(request, code: str):
    need(request, Cap.REGISTRY_VIEW)
    region = selectors.region_get(actor=request.user, code=code)
    return render(request, "web/region_detail.html", {
        "region": region, "children": region.children.order_by("code"),
        "ancestors": [a for a in region.ancestors() if selectors.region_list(actor=request.user).filter(pk=a.pk)],
        "facilities": selectors.facility_list(actor=request.user).filter(region__code__startswith=region.prefix),
    })


def facility_list(request):
    need(request, Cap.FACILITY_VIEW)
    search = request.GET.get("q", "").strip()
    qs = selectors.facility_list(actor=request.user, search=search)
    page = paged(request, qs)
    page.object_list = facilities_with_status(page.object_list)  # the status in force today, and what is scheduled
    return render(request, "web/facility_list.html", {"page": page, "q": search,
                                                      "perms_facility_manage": request.user.can(Cap.FACILITY_MANAGE)})


def audit_list(request):
    need(request, Cap.AUDIT_LOG)
    filters, errors = audit_filters(request.GET)
    qs = audit_selectors.audit_list(actor=request.user, **filters).select_related("actor")
    if request.GET.get("export") == "xlsx":
        return audit_export(qs, actor=request.user, filters=export_filters(request.GET))
    page = paged(request, qs)
    page.object_list = decorate(page.object_list)
    return render(request, "web/audit_list.html", {
        "page": page, "f": request.GET, "filter_errors": errors, "actions": action_choices(),
        "object_types": object_type_choices(),
        "person_limit": PERSON_MATCH_LIMIT if filters["person"] else None,
    }, status=400 if errors else 200)


def audit_verify_view(request):
    need(request, Cap.AUDIT_LOG)
    report = audit_verify()
    return render(request, "web/_audit_verify.html", {"report": report})


def password_change(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(user=request.user, old_password=form.cleaned_data["old_password"],
                                     new_password=form.cleaned_data["new_password"])
        except NrcmsError as exc:
            form.add_error(exc.field if exc.field in form.fields else "new_password", exc.message)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, "密码已修改")
            return redirect("home")
    expired = password_expired(request.user) and not request.user.must_change_password
    return render(request, "web/password_change.html", {
        "form": form, "expired_message": expired_message() if expired else ""})

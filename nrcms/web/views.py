"""Pages. Each view reads through a selector or calls exactly one service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from nrcms.accounts import selectors, services
from nrcms.accounts.audit import audit_verify
from nrcms.accounts.audit_labels import action_choices, object_type_choices
from nrcms.accounts.audit_selectors import PERSON_MATCH_LIMIT
from nrcms.accounts.roles import Cap, Role
from nrcms.core.errors import Forbidden, NrcmsError
from nrcms.core.export import xlsx_response
from nrcms.facilities.models import Facility
from nrcms.facilities.services import facilities_with_status
from nrcms.registry.models import Region, RegionLevel

from .audit_page import audit_export, audit_filters, decorate
from .forms import LockoutAuthenticationForm, PasswordChangeForm, ReasonForm, UserCreateForm

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


def home(request):
    user = request.user
    j = selectors.jurisdiction_of(user)
    context = {"j": j}
    if user.role == Role.HOSPITAL_DESK:
        context["facility"] = facilities_with_status([user.facility])[0] if user.facility else None
    else:
        context["child_regions"] = (
            Region.objects.filter(parent=user.region).order_by("code") if user.region else Region.objects.none()
        )
        context["region_count"] = selectors.region_list(actor=user).count()
        context["facility_count"] = selectors.facility_list(actor=user).count()
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
        "page": paged(request, qs), "q": search, "level": level, "levels": RegionLevel.choices,
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
    return render(request, "web/facility_list.html", {"page": page, "q": search})



def audit_list(request):
    need(request, Cap.AUDIT_VIEW)
    filters, errors = audit_filters(request.GET)
    qs = selectors.audit_list(actor=request.user, **filters).select_related("actor")
    if request.GET.get("export") == "xlsx":
        return audit_export(qs)
    page = paged(request, qs)
    page.object_list = decorate(page.object_list)
    return render(request, "web/audit_list.html", {
        "page": page, "f": request.GET, "filter_errors": errors, "actions": action_choices(),
        "object_types": object_type_choices(),
        "person_limit": PERSON_MATCH_LIMIT if filters["person"] else None,
    }, status=400 if errors else 200)


def audit_verify_view(request):
    need(request, Cap.AUDIT_VIEW)
    report = audit_verify()
    return render(request, "web/_audit_verify.html", {"report": report})


def user_list(request):
    need(request, Cap.USERS_MANAGE)
    search = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    qs = selectors.user_list(actor=request.user, search=search, role=role)
    return render(request, "web/user_list.html", {
        "page": paged(request, qs), "q": search, "role": role, "roles": Role.choices,
    })


def user_create(request):
    need(request, Cap.USERS_MANAGE)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            region = Region.objects.filter(code=data["region_code"]).first() if data["region_code"] else None
            facility = (Facility.objects.filter(code=data["facility_code"]).first()
                        if data["facility_code"] else None)
            if data["region_code"] and region is None:
                form.add_error("region_code", f"区划代码“{data['region_code']}”不存在")
            elif data["facility_code"] and facility is None:
                form.add_error("facility_code", f"机构编码“{data['facility_code']}”不存在")
            else:
                user = services.user_create(
                    actor=request.user, username=data["username"], password=data["password"], role=data["role"],
                    display_name=data["display_name"], region=region, facility=facility, phone=data["phone"],
                    authority=data["authority"],
                )
                messages.success(request, f"已创建用户 {user.username}")
                return redirect("user_list")
        except NrcmsError as exc:
            field = exc.field if exc.field in form.fields else None
            if exc.field == "region":
                field = "region_code"
            elif exc.field == "facility":
                field = "facility_code"
            form.add_error(field, exc.message)
    return render(request, "web/user_form.html", {"form": form})


@require_POST
def user_set_active(request, username: str):
    target = selectors.user_get(actor=request.user, username=username)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写原因")
        return redirect("user_list")
    active = request.POST.get("active") == "1"
    services.user_set_active(actor=request.user, user=target, active=active, reason=form.cleaned_data["reason"])
    messages.success(request, f"已{'启用' if active else '停用'}用户 {target.username}")
    return redirect("user_list")


@require_POST
def user_unlock(request, username: str):
    target = selectors.user_get(actor=request.user, username=username)
    services.user_unlock(actor=request.user, user=target, reason=request.POST.get("reason", ""))
    messages.success(request, f"已解锁用户 {target.username}")
    return redirect("user_list")


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
    return render(request, "web/password_change.html", {"form": form})

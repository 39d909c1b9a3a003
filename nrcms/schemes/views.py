"""Pages under /schemes/: the versions (upload with the check's result), one version in plain Chinese with
worked examples (simulate, approve), and two versions side by side."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from nrcms.accounts.roles import Cap
from nrcms.core.errors import Forbidden, NrcmsError, ValidationFailed
from nrcms.web.params import date_param, int_param, text_param, year_param

from .explain import current_scheme, describe, diff, examples
from .models import SchemeVersion
from .selectors import county_of, in_force, parsed, standing, version_get
from .services import MAX_BYTES, scheme_approve, scheme_simulate, scheme_upload


def _view(request) -> None:
    if not (request.user.can(Cap.SCHEME_MANAGE) or request.user.can(Cap.SCHEME_APPROVE)):
        raise Forbidden()


def _upload(request) -> SchemeVersion:
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationFailed("required", "请选择方案文件（YAML）", field="file")
    if upload.size > MAX_BYTES:
        raise ValidationFailed("too_large", f"方案文件超过 {MAX_BYTES // 1000} KB", field="file")
    try:
        content = upload.read().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("invalid", "方案文件不是 UTF-8 编码的文本", field="file") from exc
    region = county_of(request.user)
    year = year_param(request.POST, "year", "方案年度", default=None)
    if year is None:
        raise ValidationFailed("required", "请填写方案年度", field="year")
    return scheme_upload(actor=request.user, region=region, year=year, content=content, file_name=upload.name[:200],
                         label=text_param(request.POST, "label", "版本名称", max_length=100),
                         effective_from=date_param(request.POST, "effective_from", "生效日期"))


def scheme_list(request):
    _view(request)
    if request.method == "POST":
        if not request.user.can(Cap.SCHEME_MANAGE):
            raise Forbidden()
        try:
            version = _upload(request)
        except NrcmsError as exc:
            messages.error(request, exc.message)
            return redirect("scheme_list")
        if version.parsed_ok:
            messages.success(request, f"已上传“{version.label}”，校验通过；下一步：对上一年度数据模拟测算")
        else:
            messages.error(request, f"已上传“{version.label}”，校验发现 {len(version.check_errors)} 个问题，见下方")
        return redirect("scheme_detail", pk=version.pk)
    today = timezone.localdate()
    versions = list(SchemeVersion.objects.select_related("region", "uploaded_by", "approved_by"))
    for v in versions:
        v.standing = standing(v, today)
    return render(request, "schemes/list.html", {
        "versions": versions, "can_manage": request.user.can(Cap.SCHEME_MANAGE), "today": today,
        "default_year": today.year + 1})


def scheme_detail(request, pk: str):
    _view(request)
    version = version_get(pk)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "simulate":
                version = scheme_simulate(actor=request.user, version=version)
                messages.success(request, "模拟测算完成")
            elif action == "approve":
                version = scheme_approve(actor=request.user, version=version,
                                         authority=text_param(request.POST, "authority", "批准依据", max_length=200),
                                         effective_from=date_param(request.POST, "effective_from", "生效日期"))
                messages.success(request, f"已批准，自 {version.effective_from} 起生效")
            else:
                raise ValidationFailed("invalid", "未知的操作", field="action")
        except NrcmsError as exc:
            messages.error(request, exc.message)
        return redirect("scheme_detail", pk=version.pk)
    today = timezone.localdate()
    context = {"v": version, "standing": standing(version, today), "can_manage": request.user.can(Cap.SCHEME_MANAGE),
               "can_approve": request.user.can(Cap.SCHEME_APPROVE) and version.uploaded_by_id != request.user.pk,
               "others": SchemeVersion.objects.exclude(pk=version.pk).filter(parsed_ok=True)}
    if version.parsed_ok:
        scheme_file = parsed(version)
        scheme = current_scheme(scheme_file, max(today, version.effective_from))
        context.update(file=scheme_file, scheme=scheme, sections=describe(scheme.params), examples=examples(scheme))
    return render(request, "schemes/detail.html", context)


def scheme_diff(request):
    _view(request)
    today = timezone.localdate()
    a_id = int_param(request.GET, "a", "方案 A", max_value=2**31 - 1)
    b_id = int_param(request.GET, "b", "方案 B", max_value=2**31 - 1)
    choices = list(SchemeVersion.objects.filter(parsed_ok=True).select_related("region"))
    context = {"choices": choices, "a_id": a_id, "b_id": b_id}
    if a_id is None and choices:
        current = in_force(choices[0].region, today)
        a_id = current.pk if current else choices[-1].pk
    if a_id is not None and b_id is not None:
        a, b = version_get(str(a_id)), version_get(str(b_id))
        if not (a.parsed_ok and b.parsed_ok):
            raise ValidationFailed("invalid", "未通过校验的方案不能比较", field="a" if not a.parsed_ok else "b")
        sa = current_scheme(parsed(a), max(today, a.effective_from))
        sb = current_scheme(parsed(b), max(today, b.effective_from))
        rows = diff(sa, sb)
        context.update(a=a, b=b, sa=sa, sb=sb, changed=[r for r in rows if r.changed],
                       same=sum(1 for r in rows if not r.changed))
    context["a_id"] = a_id
    return render(request, "schemes/diff.html", context)


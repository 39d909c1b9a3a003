"""The administrator's page for loading a county's division list (统计用区划代码)."""

from __future__ import annotations

from django import forms
from django.shortcuts import render

from nrcms.accounts.roles import Cap
from nrcms.core.errors import NrcmsError
from nrcms.web.views import need

from .region_load import MAX_UPLOAD, read_division_file, regions_load


class RegionLoadForm(forms.Form):
    file = forms.FileField(label="区划代码文件", help_text="Excel 或 CSV，列：统计用区划代码、名称、城乡分类代码")
    authority = forms.CharField(label="依据", max_length=200, required=False,
                                help_text="如“国家统计局 2026 年统计用区划代码”")
    dry_run = forms.BooleanField(label="只检查，不写入", required=False)


def regions_load_page(request):
    need(request, Cap.SYSTEM_SETTINGS)
    form = RegionLoadForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_UPLOAD:
                raise NrcmsError("too_large", "文件过大：区划代码文件不应超过 5 MB", field="file")
            rows = read_division_file(upload.read(), upload.name)
            report = regions_load(actor=request.user, rows=rows, file_name=upload.name,
                                  authority=form.cleaned_data["authority"], dry_run=form.cleaned_data["dry_run"])
        except NrcmsError as exc:
            form.add_error("file" if exc.field in (None, "file") else None, exc.message)
    status = 422 if request.method == "POST" and report is None else 200
    return render(request, "registry/regions_load.html", {"form": form, "report": report}, status=status)

from django import forms

from .models import DesignationStatus


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="定点状态", choices=DesignationStatus.choices)
    effective_date = forms.DateField(label="生效日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reason = forms.CharField(label="原因", max_length=300)
    authority = forms.CharField(label="依据（文件号）", max_length=200, required=False)


class MappingForm(forms.Form):
    facility_item_code = forms.CharField(label="院内编码", max_length=40)
    facility_item_name = forms.CharField(label="院内名称", max_length=120)
    catalogue_code = forms.CharField(label="目录编码", max_length=30)
    valid_from = forms.DateField(label="生效日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class CodeCheckForm(forms.Form):
    codes = forms.CharField(label="院内编码（每行一个或用逗号分隔）", widget=forms.Textarea(attrs={"rows": 4}))
    on = forms.DateField(label="费用日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class WithdrawForm(forms.Form):
    change = forms.IntegerField(label="变更记录", widget=forms.HiddenInput)
    reason = forms.CharField(label="撤回原因", max_length=300)

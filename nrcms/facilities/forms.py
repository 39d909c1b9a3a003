from django import forms

from .models import DesignationAction, FacilityLevel


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


class FacilityCreateForm(forms.Form):
    code = forms.CharField(label="机构编码", max_length=20)
    name = forms.CharField(label="机构名称", max_length=100)
    level = forms.ChoiceField(label="机构级别", choices=FacilityLevel.choices)
    in_county = forms.BooleanField(label="县内机构", required=False, initial=True)
    region = forms.CharField(label="所在乡镇或村（区划代码，县内机构必填）", max_length=12, required=False)
    address = forms.CharField(label="地址", max_length=200, required=False)
    authority = forms.CharField(label="依据（文件号）", max_length=200, required=False)


class AssessmentForm(forms.Form):
    assessed_on = forms.DateField(label="考核日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    score = forms.DecimalField(label="考核得分（百分制）", min_value=0, max_value=100, max_digits=5, decimal_places=2)
    assessor = forms.CharField(label="考核人（组）", max_length=100)
    findings = forms.CharField(label="考核意见", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class DesignationRequestForm(forms.Form):
    action = forms.ChoiceField(label="处理类别", choices=DesignationAction.choices)
    effective_date = forms.DateField(label="生效日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reason = forms.CharField(label="原因", max_length=300)
    authority = forms.CharField(label="依据（文件号）", max_length=200, required=False)


class DecisionForm(forms.Form):
    request = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    decision = forms.ChoiceField(choices=(("approve", "批准"), ("reject", "驳回")), widget=forms.HiddenInput)
    note = forms.CharField(label="审批意见", max_length=300, required=False)


class AcknowledgeForm(forms.Form):
    alert = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    note = forms.CharField(label="处理说明", max_length=300)

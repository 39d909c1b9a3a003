from django import forms

from .models import PayerKind

DATE = {"type": "date"}


class PaymentForm(forms.Form):
    household_number = forms.CharField(label="户编号", max_length=20)
    scheme_year = forms.IntegerField(label="参合年度")
    payer_kind = forms.ChoiceField(label="缴费方", choices=PayerKind.choices)
    payer_name = forms.CharField(label="缴款人", max_length=60, required=False,
                                 help_text="干部垫付必填；其他可留空自动填写")
    person_ids = forms.CharField(label="人员（身份证号，逗号分隔）", required=False, help_text="留空为全户未缴清的参合人员")
    amount_per_person = forms.DecimalField(label="每人金额", max_digits=14, decimal_places=2, required=False,
                                           help_text="留空为每人尚欠金额；村集体部分扶持时填写")
    paid_on = forms.DateField(label="缴费日期", widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=80)


class StandardForm(forms.Form):
    scheme_year = forms.IntegerField(label="年度")
    effective_from = forms.DateField(label="生效日期", widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    personal_amount = forms.DecimalField(label="个人缴费", max_digits=14, decimal_places=2)
    central_subsidy = forms.DecimalField(label="中央财政补助", max_digits=14, decimal_places=2)
    provincial_subsidy = forms.DecimalField(label="省级财政补助", max_digits=14, decimal_places=2)
    county_subsidy = forms.DecimalField(label="县级财政补助", max_digits=14, decimal_places=2)
    family_account_amount = forms.DecimalField(label="个人缴费中划入家庭账户", max_digits=14, decimal_places=2)
    authority = forms.CharField(label="依据文件", max_length=200)


class SubsidyReceiveForm(forms.Form):
    level = forms.ChoiceField(label="财政级别", choices=[("central", "中央"), ("provincial", "省级"), ("county", "县级")])
    amount = forms.DecimalField(label="到账金额", max_digits=14, decimal_places=2)
    received_on = forms.DateField(label="到账日期", widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    reference = forms.CharField(label="到账凭证号", max_length=60)

from decimal import Decimal

from django import forms

from .models import EpisodeKind


class LookupForm(forms.Form):
    certificate_number = forms.CharField(label="合作医疗证号", max_length=20, required=False)
    id_number = forms.CharField(label="身份证号", max_length=18, required=False)


class AdmissionForm(forms.Form):
    serial = forms.CharField(label="住院（就诊）流水号", max_length=40)
    kind = forms.ChoiceField(label="类别", choices=EpisodeKind.choices)
    id_number = forms.CharField(label="患者身份证号", max_length=18)
    admission_date = forms.DateField(label="入院日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    diagnosis_code = forms.CharField(label="诊断编码（ICD-10）", max_length=20, required=False,
                                     widget=forms.TextInput(attrs={"list": "diagnoses"}))
    diagnosis_name = forms.CharField(label="诊断名称", max_length=120, required=False)
    referral_number = forms.CharField(label="转诊单号", max_length=30, required=False, help_text="县外或上转时填写")
    department = forms.CharField(label="科室", max_length=40, required=False)


class ChargeLineForm(forms.Form):
    line_no = forms.IntegerField(label="明细序号", min_value=1, max_value=2_147_483_647)
    facility_item_code = forms.CharField(label="院内编码", max_length=40)
    item_name = forms.CharField(label="项目名称", max_length=120)
    charged_on = forms.DateField(label="费用日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    quantity = forms.DecimalField(label="数量", max_digits=12, decimal_places=4, min_value=Decimal("0.0001"))
    unit_price = forms.DecimalField(label="单价", max_digits=14, decimal_places=4, min_value=0)
    amount = forms.DecimalField(label="金额", max_digits=14, decimal_places=2)


class ChargeFileForm(forms.Form):
    file = forms.FileField(label="费用明细文件（.xlsx 或 .csv）",
                           help_text="列：明细序号、院内编码、项目名称、费用日期、数量、单价、金额；"
                           "日期、金额按 Excel 的格式即可（如 2026/11/23、￥1,250.00）")


class DischargeForm(forms.Form):
    discharge_date = forms.DateField(label="出院日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class ReverseForm(forms.Form):
    reason = forms.CharField(label="冲正原因", max_length=300)


class ManualClaimForm(forms.Form):
    """手工报销录入: the claim's particulars; the receipt lines come as rows line-N-* beside it."""

    id_number = forms.CharField(label="患者身份证号", max_length=18)
    facility_code = forms.ChoiceField(label="就诊机构（县外）", choices=())
    admission_date = forms.DateField(label="入院日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    discharge_date = forms.DateField(label="出院日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    diagnosis_code = forms.CharField(label="诊断编码（ICD-10）", max_length=20, required=False,
                                     widget=forms.TextInput(attrs={"list": "diagnoses"}))
    diagnosis_name = forms.CharField(label="诊断名称", max_length=120, required=False)
    referral_number = forms.CharField(label="转诊单号", max_length=30, required=False,
                                      help_text="入院后 7 天内在乡镇合管办备案的转诊单")
    unreferred = forms.BooleanField(label="按未转诊报销", required=False,
                                    help_text="无转诊或转诊备案逾期时勾选：按方案的县外未转诊标准计算")
    papers_received_on = forms.DateField(label="材料受理日期", help_text="出院后 20 天内",
                                         widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    note = forms.CharField(label="备注", max_length=300, required=False)

    def __init__(self, *args, facilities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility_code"].choices = [(f.code, f"{f.name}（{f.get_level_display()}）") for f in facilities]


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=300)

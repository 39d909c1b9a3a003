from decimal import Decimal

from django import forms

from .models import AdvanceLayer, RefundReason, ViolationKind


class GenerateForm(forms.Form):
    month = forms.CharField(label="结算月份", max_length=7, widget=forms.TextInput(attrs={"placeholder": "2026-10", "size": 8}))
    facility_code = forms.CharField(label="机构编码", max_length=20, required=False)


class DeductionForm(forms.Form):
    kind = forms.ChoiceField(label="违规性质", choices=ViolationKind.choices)
    base_amount = forms.DecimalField(label="违规金额（元）", max_digits=14, decimal_places=2, min_value=0)
    multiplier = forms.DecimalField(label="倍数", max_digits=4, decimal_places=2,
                                    help_text="造成基金损失 1–2 倍；欺诈骗保 2–5 倍")
    settlement_number = forms.CharField(label="涉及结算单号", max_length=30, required=False)
    reason = forms.CharField(label="扣款原因", max_length=300, widget=forms.Textarea(attrs={"rows": 2, "cols": 40}))


class WithdrawForm(forms.Form):
    deduction = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label="撤销原因", max_length=300)


class ReturnForm(forms.Form):
    reason = forms.CharField(label="退回原因", max_length=300, widget=forms.Textarea(attrs={"rows": 2, "cols": 40}),
                             help_text="医院合疗科可见；写明需要医院核实或补充的内容")


class ResubmitForm(forms.Form):
    note = forms.CharField(label="报送说明", max_length=300, widget=forms.Textarea(attrs={"rows": 2, "cols": 40}),
                           help_text="答复退回原因：已核实、已补充的材料或已冲正重结的结算单")


class DisburseForm(forms.Form):
    reference = forms.CharField(label="拨付凭证号（银行回单号）", max_length=60)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=80)


class ReconciliationForm(forms.Form):
    date = forms.DateField(label="对账日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    settlement_count = forms.IntegerField(label="结算笔数", min_value=0)
    reversal_count = forms.IntegerField(label="冲正笔数", min_value=0, initial=0)
    total_cost = forms.DecimalField(label="医疗总费用", max_digits=14, decimal_places=2)
    fund_total = forms.DecimalField(label="基金支付合计", max_digits=14, decimal_places=2)
    self_pay = forms.DecimalField(label="个人自付", max_digits=14, decimal_places=2)
    lines = forms.CharField(label="逐笔明细（可选）", required=False,
                            widget=forms.Textarea(attrs={"rows": 4, "cols": 40,
                                                         "placeholder": "每行：结算单号,基金支付金额"}),
                            help_text="填写后逐笔核对，列出机构有系统无、系统有机构无和金额不同的结算单")

    def clean_lines(self):
        out = []
        for n, raw in enumerate(self.cleaned_data["lines"].splitlines(), start=1):
            raw = raw.strip().replace("，", ",").replace("\t", ",")
            if not raw:
                continue
            parts = [p.strip() for p in raw.split(",")]
            if len(parts) != 2:
                raise forms.ValidationError(f"第 {n} 行应为“结算单号,基金支付金额”")
            out.append({"number": parts[0], "fund_total": parts[1]})
        return out


class RefundForm(forms.Form):
    settlement_number = forms.CharField(label="结算单号", max_length=30)
    amount = forms.DecimalField(label="返还金额（元）", max_digits=14, decimal_places=2, min_value=Decimal("0.01"),
                                help_text="不超过患者在该结算单的个人自付（减去已返还的部分）")
    reason_kind = forms.ChoiceField(label="返还原因类别", choices=RefundReason.choices)
    reason = forms.CharField(label="返还原因", max_length=300, widget=forms.Textarea(attrs={"rows": 2, "cols": 40}))
    authority = forms.CharField(label="依据（审核决定或稽查通知编号）", max_length=200, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=80)


class RefundPayForm(forms.Form):
    reference = forms.CharField(label="支付凭证号（银行回单号）", max_length=60)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=80)


class AdvanceClaimForm(forms.Form):
    layer = forms.ChoiceField(label="垫付类别", choices=AdvanceLayer.choices)
    month = forms.CharField(label="申报月份", max_length=7, widget=forms.TextInput(attrs={"placeholder": "2026-10", "size": 8}))


class AdvanceRepayForm(forms.Form):
    amount = forms.DecimalField(label="回款金额（元）", max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    reference = forms.CharField(label="回款凭证号（银行回单号）", max_length=60)
    received_on = forms.DateField(label="到账日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=80)

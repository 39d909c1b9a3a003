"""The printed monthly statement (月结算单): totals by kind and by layer, deductions, the amount to pay in
figures and Chinese capitals, the settlement list, and who prepared, reviewed, approved and paid it.

What a printout of it means: the statement is a document that moves through review, so each print shows it
as it stands at the print time (the status and print time are on the page). Its settlements and amounts were
copied when it was generated and never change — a settlement reversed later lands on a later month's
statement, so a reprint lists the same settlements with the same amounts. What review adds (deductions, each
with its date; the approved amount; the disbursement) appears on the next print; until the statement is
approved the page says so, and the approved print is the one a facility is paid on."""

from __future__ import annotations

from django.utils import timezone

from nrcms.core.money import chinese_capital
from nrcms.core.pdf import render_pdf
from nrcms.registry.models import Region

from .models import FacilityStatement, StatementStatus
from .selectors import statement_lines

LAYER_LABELS = [("basic", "基本医疗补偿"), ("family_account", "家庭账户支付"), ("fixed_fee", "单病种定额"),
                ("subsidy", "定额补助"), ("catastrophic", "大病保险"), ("assistance", "医疗救助"),
                ("safety_net", "兜底保障")]


def statement_context(statement: FacilityStatement) -> dict:
    county = Region.objects.filter(level="county").first()
    net = statement.approved_amount if statement.approved_amount is not None else statement.net_payable
    return {
        "st": statement, "office": f"{county.name if county else ''}新型农村合作医疗管理办公室",
        "layers": [(label, getattr(statement, name)) for name, label in LAYER_LABELS],
        "deductions": statement.deductions.filter(withdrawn_at__isnull=True).select_related("settlement", "created_by"),
        "refunds": statement.refunds.select_related("settlement", "settlement__episode__person").order_by("id"),
        "family_doctor_fees": statement.family_doctor_fees.select_related("team").order_by("month", "team__name"),
        "lines": statement_lines(statement), "net": net, "net_capital": chinese_capital(net),
        "fund_capital": chinese_capital(statement.fund_total),
        "disbursed_capital": chinese_capital(statement.disbursed_amount)
        if statement.disbursed_amount is not None else "",
        "printed_at": timezone.localtime(),
        "settled_review": statement.status in (StatementStatus.APPROVED, StatementStatus.DISBURSED),
    }


def statement_pdf(statement: FacilityStatement) -> bytes:
    return render_pdf("payments/statement_print.html", statement_context(statement))

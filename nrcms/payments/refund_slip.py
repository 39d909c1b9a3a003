"""The refund notice slip (返还通知单) handed or mailed to the patient: which settlement, why, how much (in
figures and Chinese capitals), where it stands, with the patient's ID number masked."""

from __future__ import annotations

from django.utils import timezone

from nrcms.core.masking import mask_id
from nrcms.core.money import chinese_capital
from nrcms.core.pdf import render_pdf
from nrcms.registry.models import Region

from .models import PatientRefund


def refund_slip_context(refund: PatientRefund) -> dict:
    county = Region.objects.filter(level="county").first()
    person = refund.settlement.episode.person
    return {"r": refund, "person": person, "masked_id": mask_id(person.id_number),
            "office": f"{county.name if county else ''}新型农村合作医疗管理办公室",
            "amount_capital": chinese_capital(refund.amount), "printed_at": timezone.localtime()}


def refund_slip_pdf(refund: PatientRefund) -> bytes:
    return render_pdf("payments/refund_slip.html", refund_slip_context(refund))

from django.utils import timezone

from nrcms.core.idnumber import mask_id_number
from nrcms.core.money import chinese_capital
from nrcms.core.pdf import render_pdf
from nrcms.registry.models import Region


def receipt_context(contribution) -> dict:
    county = Region.objects.filter(level="county").first()
    lines = [{"name": line.person.name, "id": mask_id_number(line.person.id_number), "amount": line.amount}
             for line in contribution.lines.select_related("person").order_by("person_id")]
    return {"c": contribution, "lines": lines, "capital": chinese_capital(contribution.total),
            "office": f"{county.name if county else ''}新型农村合作医疗管理办公室",
            "printed_at": timezone.localtime()}


def receipt_pdf(contribution) -> bytes:
    return render_pdf("funding/receipt.html", receipt_context(contribution))

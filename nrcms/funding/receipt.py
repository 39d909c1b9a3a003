from django.utils import timezone

from nrcms.core.masking import mask_id
from nrcms.core.money import chinese_capital
from nrcms.core.pdf import render_pdf
from nrcms.registry.models import Region


def receipt_payer(contribution) -> str:
    """The payer's name. Receipts recorded before the head was named say only "户主": print the head's name."""
    if contribution.payer_name != "户主":
        return contribution.payer_name
    head = contribution.household.members.filter(relation="head").order_by("status", "id").first()
    return f"{head.name}（户主）" if head is not None else contribution.payer_name


def receipt_context(contribution) -> dict:
    county = Region.objects.filter(level="county").first()
    lines = [{"name": line.person.name, "id": mask_id(line.person.id_number), "amount": line.amount}
             for line in contribution.lines.select_related("person").order_by("person_id")]
    return {"c": contribution, "lines": lines, "payer": receipt_payer(contribution), "capital": chinese_capital(contribution.total),
            "office": f"{county.name if county else ''}新型农村合作医疗管理办公室",
            "printed_at": timezone.localtime()}


def receipt_pdf(contribution) -> bytes:
    return render_pdf("funding/receipt.html", receipt_context(contribution))

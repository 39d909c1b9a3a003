"""What a printout states as of the moment it was issued (开具时的凭据信息).

A voucher is reprinted weeks later, after the person has settled again, the household's certificate has been
reissued or the head has changed. The reprint must say what the original said, so the particulars that are
not already in a settlement's inputs and result are stored with it when it is issued: the certificate, the
head, the address and — for a reversal, whose result is the original's — the year-to-date totals after it.
Rows issued before this was stored fall back to what can still be read (see `voucher.voucher_context`)."""

from __future__ import annotations

from nrcms.core.masking import mask_id
from nrcms.registry.models import CertificateStatus

from .models import YTD_FIELDS


def holder_particulars(household) -> dict:
    """The household's certificate, head and address as they stand now: stored at issue time."""
    head = (household.members.filter(relation="head", status="active").order_by()
            .values_list("name", "id_number").first())
    certificate = (household.certificates.filter(status=CertificateStatus.VALID).order_by()
                   .values_list("number", flat=True).first())
    return {"certificate": certificate or "", "head": head[0] if head else "",
            "head_id": mask_id(head[1]) if head else "", "address": household.full_address}


def year_totals(row) -> dict:
    """A PersonYear's totals as stored text (Decimal kept exact), the way a result's ytd_after reads."""
    return {name: str(getattr(row, name)) for name in YTD_FIELDS}

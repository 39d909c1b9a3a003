"""The printable household certificate (合作医疗证) card. It leaves the office, so ID numbers are masked."""

from __future__ import annotations

from django.utils import timezone

from nrcms.core.masking import mask_id
from nrcms.core.pdf import render_pdf

from .models import Certificate, Enrollment, EnrollmentStatus, PersonStatus, Region, RegionLevel, Relation


def issuing_office(region: Region) -> str:
    township = next((r for r in [*region.ancestors(), region] if r.level == RegionLevel.TOWNSHIP), None)
    county = next((r for r in region.ancestors() if r.level == RegionLevel.COUNTY), None)
    return f"{county.name if county else ''}{township.name if township else ''}合作医疗管理办公室"


def certificate_context(cert: Certificate, scheme_year: int) -> dict:
    household = cert.household
    members = list(household.members.filter(status=PersonStatus.ACTIVE).order_by("id"))
    enrolled = set(Enrollment.objects.filter(household=household, scheme_year=scheme_year,
                                             status=EnrollmentStatus.ENROLLED).values_list("person_id", flat=True))
    head = next((m for m in members if m.relation == Relation.HEAD), None)
    return {
        "number": cert.number,
        "household_number": household.number,
        "head": head.name if head else "",
        "address": household.full_address,
        "scheme_year": scheme_year,
        "office": issuing_office(household.region),
        "issued_at": timezone.localtime(cert.issued_at).date(),
        "replaces": cert.replaces.number if cert.replaces_id else "",
        "members": [{"name": m.name, "sex": m.get_sex_display(), "relation": m.get_relation_display(),
                     "id_masked": mask_id(m.id_number),
                     "enrolled": m.pk in enrolled} for m in members],
    }


def certificate_pdf(cert: Certificate, *, scheme_year: int, with_context: bool = False):
    context = certificate_context(cert, scheme_year)
    pdf = render_pdf("registry/certificate_pdf.html", context)
    return (pdf, context) if with_context else pdf

"""Demo catalogue, diagnoses and each in-county facility's charge-code mappings (对照)."""

from __future__ import annotations

import csv
import datetime as dt

from django.db import transaction

from nrcms.facilities.catalogue import mapping_set
from nrcms.facilities.management.commands.catalogue_load import DATA, load_row
from nrcms.facilities.models import CatalogueItem, Facility

MAPPED_FROM = dt.date(2026, 1, 1)
# Codes each demo facility leaves unmapped, so the desk sees the "unmapped code" report work.
UNMAPPED_DEMO_CODES = ("ZL0302",)


@transaction.atomic
def load_catalogue() -> None:
    for name, diagnoses in (("catalogue_demo.csv", False), ("icd10_subset.csv", True)):
        for row in csv.DictReader((DATA / name).open(encoding="utf-8-sig")):
            load_row(row, diagnoses)
    items = list(CatalogueItem.objects.filter(valid_to__isnull=True).order_by("code"))
    for facility in Facility.objects.filter(in_county=True):
        prefix = facility.code[-4:]
        for item in items:
            if item.code in UNMAPPED_DEMO_CODES:
                continue
            mapping_set(actor=None, facility=facility, facility_item_code=f"{prefix}-{item.code}",
                        facility_item_name=item.name, catalogue_code=item.code, valid_from=MAPPED_FROM)

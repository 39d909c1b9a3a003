from django.apps import AppConfig


def complaints_by_facility(start, end) -> dict[str, int]:
    """The facility scorecards' 投诉 column: complaints received in [start, end] naming the facility."""
    from django.db.models import Count

    from .models import Complaint

    rows = (Complaint.objects.filter(facility__isnull=False, received_at__date__range=(start, end)).order_by()
            .values("facility__code").annotate(n=Count("pk")))
    return {r["facility__code"]: r["n"] for r in rows}


def complaints_by_month(start, end, facility_code) -> dict[tuple[int, int], int]:
    """complaints_by_facility() of each month of start..end for one facility, by (year, month) of the local
    day received: the facility scorecard's trend."""
    from django.db.models import Count
    from django.db.models.functions import ExtractMonth, ExtractYear

    from .models import Complaint

    rows = (Complaint.objects.filter(facility__code=facility_code, received_at__date__range=(start, end))
            .order_by().annotate(y=ExtractYear("received_at"), m=ExtractMonth("received_at")).values("y", "m")
            .annotate(n=Count("pk")))
    return {(r["y"], r["m"]): r["n"] for r in rows}


class ComplaintsConfig(AppConfig):
    name = "nrcms.complaints"
    label = "complaints"
    verbose_name = "投诉与咨询"

    def ready(self):
        from nrcms.stats.scorecards import register_count_source

        register_count_source("complaints", complaints_by_facility, complaints_by_month)

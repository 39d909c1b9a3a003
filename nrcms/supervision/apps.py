from django.apps import AppConfig


def hits_by_facility(start, end) -> dict[str, int]:
    """The facility scorecards' 审核疑点 column: audit-rule hits of the settlement months within [start, end]."""
    from django.db.models import Count

    from .models import AuditHit

    rows = (AuditHit.objects.filter(month__range=(start.replace(day=1), end)).order_by()
            .values("facility__code").annotate(n=Count("pk")))
    return {r["facility__code"]: r["n"] for r in rows}


def hits_by_month(start, end, facility_code) -> dict[tuple[int, int], int]:
    """hits_by_facility() of each month of start..end for one facility, by (year, month): the facility
    scorecard's trend."""
    from django.db.models import Count
    from django.db.models.functions import ExtractMonth, ExtractYear

    from .models import AuditHit

    rows = (AuditHit.objects.filter(month__range=(start.replace(day=1), end), facility__code=facility_code)
            .order_by().annotate(y=ExtractYear("month"), m=ExtractMonth("month")).values("y", "m")
            .annotate(n=Count("pk")))
    return {(r["y"], r["m"]): r["n"] for r in rows}


class SupervisionConfig(AppConfig):
    name = "nrcms.supervision"
    label = "supervision"
    verbose_name = "智能审核与监督"

    def ready(self):
        from nrcms.stats.scorecards import register_count_source

        register_count_source("hits", hits_by_facility, hits_by_month)

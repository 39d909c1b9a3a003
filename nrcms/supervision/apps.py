from django.apps import AppConfig


def hits_by_facility(start, end) -> dict[str, int]:
    """The facility scorecards' 审核疑点 column: audit-rule hits of the settlement months within [start, end]."""
    from django.db.models import Count

    from .models import AuditHit

    rows = (AuditHit.objects.filter(month__range=(start.replace(day=1), end)).order_by()
            .values("facility__code").annotate(n=Count("pk")))
    return {r["facility__code"]: r["n"] for r in rows}


class SupervisionConfig(AppConfig):
    name = "nrcms.supervision"
    label = "supervision"
    verbose_name = "智能审核与监督"

    def ready(self):
        from nrcms.stats.scorecards import register_count_source

        register_count_source("hits", hits_by_facility)

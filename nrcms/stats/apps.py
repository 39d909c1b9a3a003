from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "nrcms.stats"
    label = "stats"
    verbose_name = "统计与报表"

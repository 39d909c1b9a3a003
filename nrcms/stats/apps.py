from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "nrcms.stats"
    label = "stats"
    verbose_name = "统计与报表"

    def ready(self) -> None:
        from . import books  # noqa: F401  (registers its part of the books check)

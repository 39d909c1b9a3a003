from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "nrcms.claims"
    label = "claims"
    verbose_name = "就诊与结算"

    def ready(self) -> None:
        from . import books  # noqa: F401  (registers its part of the books check)

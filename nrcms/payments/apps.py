from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "nrcms.payments"
    label = "payments"
    verbose_name = "医疗机构结算与拨付"

    def ready(self) -> None:
        from . import books  # noqa: F401  (registers its part of the books check)

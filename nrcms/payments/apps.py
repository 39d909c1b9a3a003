from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "nrcms.payments"
    label = "payments"
    verbose_name = "医疗机构结算与拨付"

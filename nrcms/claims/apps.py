from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "nrcms.claims"
    label = "claims"
    verbose_name = "就诊与结算"

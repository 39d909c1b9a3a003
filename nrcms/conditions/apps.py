from django.apps import AppConfig


class ConditionsConfig(AppConfig):
    name = "nrcms.conditions"
    label = "conditions"
    verbose_name = "慢病、大病与家庭病床"

from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "nrcms.supervision"
    label = "supervision"
    verbose_name = "智能审核与监督"

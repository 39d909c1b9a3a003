from django.apps import AppConfig


class PovertyConfig(AppConfig):
    name = "nrcms.poverty"
    label = "poverty"
    verbose_name = "健康扶贫"

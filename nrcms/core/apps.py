from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "nrcms.core"
    label = "core"
    verbose_name = "基础"

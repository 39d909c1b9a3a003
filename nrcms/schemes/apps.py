from django.apps import AppConfig


class SchemesConfig(AppConfig):
    name = "nrcms.schemes"
    label = "schemes"
    verbose_name = "补偿方案管理"

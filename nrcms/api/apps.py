from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "nrcms.api"
    label = "api"
    verbose_name = "接口"

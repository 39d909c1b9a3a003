from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "nrcms.web"
    label = "web"
    verbose_name = "页面"

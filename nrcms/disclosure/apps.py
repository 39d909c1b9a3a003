from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "nrcms.disclosure"
    label = "disclosure"
    verbose_name = "公示"

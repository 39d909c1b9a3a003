from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "nrcms.complaints"
    label = "complaints"
    verbose_name = "投诉与咨询"

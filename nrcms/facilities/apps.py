from django.apps import AppConfig


class FacilitiesConfig(AppConfig):
    name = "nrcms.facilities"
    label = "facilities"
    verbose_name = "定点医疗机构"

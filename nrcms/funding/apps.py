from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "nrcms.funding"
    label = "funding"
    verbose_name = "筹资与基金"

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "nrcms.accounts"
    label = "accounts"
    verbose_name = "用户与审计"

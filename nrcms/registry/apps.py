from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "nrcms.registry"
    label = "registry"
    verbose_name = "参合登记"

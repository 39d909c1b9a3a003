from django.apps import AppConfig


class SimulationConfig(AppConfig):
    name = "nrcms.simulation"
    verbose_name = "测算"
    default_auto_field = "django.db.models.BigAutoField"

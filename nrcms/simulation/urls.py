from django.urls import path

from . import views

urlpatterns = [
    path("", views.simulation_home, name="simulation_home"),
    path("runs/<int:pk>/", views.simulation_run, name="simulation_run"),
    path("runs/<int:pk>/export/", views.simulation_run_export, name="simulation_run_export"),
]

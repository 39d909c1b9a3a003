from django.urls import path

from . import views

urlpatterns = [
    path("backups/", views.backup_list, name="backup_list"),
]

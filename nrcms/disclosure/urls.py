from django.urls import path

from . import views

urlpatterns = [
    path("", views.disclosure_home, name="disclosure_home"),
    path("publish/", views.disclosure_publish_view, name="disclosure_publish"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("", views.scheme_list, name="scheme_list"),
    path("diff/", views.scheme_diff, name="scheme_diff"),
    path("<str:pk>/", views.scheme_detail, name="scheme_detail"),
]

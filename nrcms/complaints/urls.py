from django.urls import path

from . import views

urlpatterns = [
    path("", views.complaint_list, name="complaint_list"),
    path("new/", views.complaint_new, name="complaint_new"),
    path("stats/", views.complaint_stats, name="complaint_stats"),
    path("inquiries/", views.inquiry_list, name="inquiry_list"),
    path("<str:code>/", views.complaint_detail, name="complaint_detail"),
    path("<str:code>/action/", views.complaint_action, name="complaint_action"),
]

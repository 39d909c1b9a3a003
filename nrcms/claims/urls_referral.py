from django.urls import path

from . import views_referral as views

urlpatterns = [
    path("", views.referral_list_view, name="referral_list"),
    path("new/", views.referral_new, name="referral_new"),
    path("<str:number>/", views.referral_detail, name="referral_detail"),
]

from django.urls import path

from . import views_manual as views

urlpatterns = [
    path("", views.manual_list, name="manual_list"),
    path("new/", views.manual_new, name="manual_new"),
    path("notice/", views.manual_notice, name="manual_notice"),
    path("<str:number>/", views.manual_detail, name="manual_detail"),
    path("<str:number>/voucher.pdf", views.manual_voucher, name="manual_voucher"),
]

from django.urls import path

from . import views_search as views

urlpatterns = [
    path("", views.settlement_search, name="settlement_search"),
    path("<str:number>/", views.settlement_detail, name="settlement_detail"),
    path("<str:number>/voucher.pdf", views.settlement_voucher, name="settlement_voucher"),
]

from django.urls import path

from . import views, views_outstanding, views_year_close

urlpatterns = [
    path("contributions/", views.contribution_list, name="contribution_list"),
    path("contributions/<int:pk>/reverse/", views.contribution_reverse, name="contribution_reverse"),
    path("contributions/<int:pk>/cadre-repaid/", views.contribution_cadre_repaid, name="contribution_cadre_repaid"),
    path("contributions/<int:pk>/receipt.pdf", views.contribution_receipt, name="contribution_receipt"),
    path("outstanding/", views_outstanding.outstanding_list, name="outstanding_list"),
    path("progress/", views.collection_progress, name="collection_progress"),
    path("standards/", views.contribution_standard_list, name="contribution_standard_list"),
    path("subsidies/", views.subsidy_claim, name="subsidy_claim"),
    path("ledger/", views.ledger_view, name="ledger"),
    path("year-close/", views_year_close.year_close_page, name="year_close"),
]

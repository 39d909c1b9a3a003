from django.urls import path

from . import views

urlpatterns = [
    path("", views.stats_home, name="stats_home"),
    path("ledgers/", views.stats_ledgers, name="stats_ledgers"),
    path("reports/fund-monthly/", views.stats_report, {"name": "fund-monthly"}, name="stats_fund_monthly"),
    path("reports/reimbursement-monthly/", views.stats_report, {"name": "reimbursement-monthly"},
         name="stats_reimbursement_monthly"),
    path("reports/year-summary/", views.stats_report, {"name": "year-summary"}, name="stats_year_summary"),
]

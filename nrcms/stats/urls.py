from django.urls import path

from . import views

urlpatterns = [
    path("", views.stats_home, name="stats_home"),
    path("dashboard/", views.stats_dashboard, name="stats_dashboard"),
    path("dashboard/headline/", views.stats_headline, name="stats_headline"),
    path("plan/", views.stats_plan, name="stats_plan"),
    path("ledgers/", views.stats_ledgers, name="stats_ledgers"),
    path("reports/fund-monthly/", views.stats_report, {"name": "fund-monthly"}, name="stats_fund_monthly"),
    path("reports/reimbursement-monthly/", views.stats_report, {"name": "reimbursement-monthly"},
         name="stats_reimbursement_monthly"),
    path("reports/year-summary/", views.stats_report, {"name": "year-summary"}, name="stats_year_summary"),
]

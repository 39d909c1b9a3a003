from django.urls import path

from . import views

urlpatterns = [
    path("", views.contract_list, name="fd_contracts"),
    path("contracts/new/", views.contract_new, name="fd_contract_new"),
    path("contracts/<str:number>/", views.contract_detail, name="fd_contract_detail"),
    path("contracts/<str:number>/renew/", views.contract_renew, name="fd_contract_renew"),
    path("contracts/<str:number>/cancel/", views.contract_cancel, name="fd_contract_cancel"),
    path("contracts/<str:number>/visits/", views.contract_visit, name="fd_contract_visit"),
    path("teams/", views.team_list, name="fd_teams"),
    path("teams/<int:pk>/", views.team_edit, name="fd_team_edit"),
    path("fees/", views.fees, name="fd_fees"),
    path("rates/", views.rates, name="fd_rates"),
    path("rates.xlsx", views.rates_xlsx, name="fd_rates_xlsx"),
    path("unsigned/", views.unsigned, name="fd_unsigned"),
    path("unsigned.xlsx", views.unsigned_xlsx, name="fd_unsigned_xlsx"),
]

from django.urls import path

from . import views, views_two_factor, views_users

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", views.NrcmsLoginView.as_view(), name="login"),
    path("logout/", views.NrcmsLogoutView.as_view(), name="logout"),
    path("login/verify/", views_two_factor.login_verify, name="login_verify"),
    path("login/enrol/", views_two_factor.login_enrol, name="login_enrol"),
    path("account/password/", views.password_change, name="password_change"),
    path("account/two-factor/", views_two_factor.two_factor_page, name="two_factor"),
    path("account/two-factor/enrol/", views_two_factor.two_factor_enrol, name="two_factor_enrol"),
    path("account/two-factor/recovery-codes/", views_two_factor.two_factor_recovery_codes,
         name="two_factor_recovery_codes"),
    path("account/two-factor/disable/", views_two_factor.two_factor_disable, name="two_factor_disable"),
    path("regions/", views.region_list, name="region_list"),
    path("regions/<str:code>/", views.region_detail, name="region_detail"),
    path("facilities/", views.facility_list, name="facility_list"),
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/verify/", views.audit_verify_view, name="audit_verify"),
    path("users/", views_users.user_list, name="user_list"),
    path("users/new/", views_users.user_create, name="user_create"),
    path("users/<str:username>/", views_users.user_detail, name="user_detail"),
    path("users/<str:username>/active/", views_users.user_set_active, name="user_set_active"),
    path("users/<str:username>/unlock/", views_users.user_unlock, name="user_unlock"),
    path("users/<str:username>/password/", views_users.user_reset_password, name="user_reset_password"),
    path("users/<str:username>/two-factor/reset/", views_two_factor.user_two_factor_reset,
         name="user_two_factor_reset"),
    path("tokens/", views_users.token_list, name="token_list"),
    path("tokens/<int:token_id>/revoke/", views_users.token_revoke, name="token_revoke"),
]

from django.urls import path

from . import views, views_admin, views_users

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", views.NrcmsLoginView.as_view(), name="login"),
    path("logout/", views.NrcmsLogoutView.as_view(), name="logout"),
    path("account/password/", views.password_change, name="password_change"),
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
    path("account-requests/", views_admin.account_request_list, name="account_request_list"),
    path("account-requests/<int:request_id>/decide/", views_admin.account_request_decide,
         name="account_request_decide"),
    path("security/policy/", views_admin.security_policy, name="security_policy"),
    path("tokens/", views_users.token_list, name="token_list"),
    path("tokens/<int:token_id>/revoke/", views_users.token_revoke, name="token_revoke"),
]

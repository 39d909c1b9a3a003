from django.contrib.auth.views import LogoutView
from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", views.NrcmsLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("account/password/", views.password_change, name="password_change"),
    path("regions/", views.region_list, name="region_list"),
    path("regions/<str:code>/", views.region_detail, name="region_detail"),
    path("facilities/", views.facility_list, name="facility_list"),
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/verify/", views.audit_verify_view, name="audit_verify"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<str:username>/active/", views.user_set_active, name="user_set_active"),
    path("users/<str:username>/unlock/", views.user_unlock, name="user_unlock"),
]

from django.urls import path

from . import views, views_search

urlpatterns = [
    path("", views.desk_home, name="desk_home"),
    path("daily/", views_search.desk_daily, name="desk_daily"),
    path("admit/", views.desk_admit, name="desk_admit"),
    path("episodes/<int:pk>/", views.desk_episode, name="desk_episode"),
    path("episodes/<int:pk>/trial/", views.desk_trial, name="desk_trial"),
    path("settlements/<int:pk>/reverse/", views.desk_reverse, name="desk_reverse"),
    path("settlements/<int:pk>/voucher.pdf", views.desk_voucher, name="desk_voucher"),
]

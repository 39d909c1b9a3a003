from django.urls import path

from . import views

urlpatterns = [
    path("chronic/", views.chronic_list, name="conditions_chronic"),
    path("chronic.xlsx", views.chronic_xlsx, name="conditions_chronic_xlsx"),
    path("chronic/new/", views.chronic_new, name="conditions_chronic_new"),
    path("chronic/<int:pk>/", views.chronic_detail, name="conditions_chronic_detail"),
    path("chronic/<int:pk>/follow-ups/", views.chronic_follow_up, name="conditions_chronic_follow_up"),
    path("chronic/<int:pk>/revoke/", views.chronic_revoke, name="conditions_chronic_revoke"),
    path("serious/", views.serious_list, name="conditions_serious"),
    path("serious.xlsx", views.serious_xlsx, name="conditions_serious_xlsx"),
    path("serious/new/", views.serious_new, name="conditions_serious_new"),
    path("serious/<int:pk>/", views.serious_detail, name="conditions_serious_detail"),
    path("serious/<int:pk>/follow-ups/", views.serious_follow_up, name="conditions_serious_follow_up"),
    path("serious/<int:pk>/close/", views.serious_close, name="conditions_serious_close"),
    path("sickbeds/", views.sickbed_list, name="conditions_sickbeds"),
    path("sickbeds.xlsx", views.sickbed_xlsx, name="conditions_sickbeds_xlsx"),
    path("sickbeds/new/", views.sickbed_new, name="conditions_sickbed_new"),
    path("sickbeds/<int:pk>/", views.sickbed_detail, name="conditions_sickbed_detail"),
    path("sickbeds/<int:pk>/visits/", views.sickbed_visit, name="conditions_sickbed_visit"),
    path("sickbeds/<int:pk>/close/", views.sickbed_close, name="conditions_sickbed_close"),
    path("sickbeds/<int:pk>/settle/", views.sickbed_settle, name="conditions_sickbed_settle"),
    path("people/<int:person_id>/", views.person_page, name="conditions_person"),
]

from django.urls import path

from . import supervision_views, views

urlpatterns = [
    # before facilities/<code>/: these words are not facility codes
    path("facilities/scorecards/", supervision_views.scorecard_list, name="scorecard_list"),
    path("facilities/alerts/", supervision_views.alert_list, name="facility_alert_list"),
    path("facilities/new/", supervision_views.facility_create, name="facility_create"),
    path("facilities/designation-requests/", supervision_views.designation_request_list,
         name="designation_request_list"),
    path("facilities/<str:code>/", views.facility_detail, name="facility_detail"),
    path("facilities/<str:code>/scorecard/", supervision_views.facility_scorecard, name="facility_scorecard"),
    path("facilities/<str:code>/supervision/", supervision_views.facility_supervision, name="facility_supervision"),
    path("facilities/<str:code>/mappings/", views.mapping_list, name="mapping_list"),
    path("catalogue/", views.catalogue_list, name="catalogue_list"),
    path("diagnoses/", views.diagnosis_list, name="diagnosis_list"),
]

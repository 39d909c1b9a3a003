from django.urls import path

from . import views

urlpatterns = [
    path("facilities/<str:code>/", views.facility_detail, name="facility_detail"),
    path("facilities/<str:code>/mappings/", views.mapping_list, name="mapping_list"),
    path("catalogue/", views.catalogue_list, name="catalogue_list"),
    path("diagnoses/", views.diagnosis_list, name="diagnosis_list"),
]

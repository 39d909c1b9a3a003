from django.urls import path

from . import views

urlpatterns = [
    path("imports/", views.poverty_imports, name="poverty_imports"),
    path("imports/<int:pk>/", views.poverty_import_detail, name="poverty_import_detail"),
    path("imports/<int:pk>/problems.xlsx", views.poverty_import_problems, name="poverty_import_problems"),
    path("monitor/", views.poverty_monitor, name="poverty_monitor"),
    path("monitor/below.xlsx", views.poverty_monitor_xlsx, name="poverty_monitor_xlsx"),
    path("patients/", views.poverty_patients, name="poverty_patients"),
    path("patients/<int:person_id>/", views.poverty_patient, name="poverty_patient"),
    path("patients/<int:person_id>/pdf/", views.poverty_patient_pdf, name="poverty_patient_pdf"),
    path("patients/<int:person_id>/follow-ups/", views.poverty_follow_up, name="poverty_follow_up"),
    path("patients/<int:person_id>/plans/", views.poverty_treatment_plan, name="poverty_treatment_plan"),
]

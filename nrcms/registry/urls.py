from django.urls import path

from . import views_people as v
from .views_regions import regions_load_page
from .views_reveal import person_reveal_page

urlpatterns = [
    path("regions/load/", regions_load_page, name="regions_load"),
    path("households/", v.household_list, name="household_list"),
    path("households/new/", v.household_new, name="household_new"),
    path("households/<int:pk>/", v.household_detail, name="household_detail"),
    path("households/<int:pk>/members/", v.member_add, name="member_add"),
    path("households/<int:pk>/enroll/", v.household_enroll, name="household_enroll"),
    path("households/<int:pk>/certificate/", v.certificate_issue, name="certificate_issue"),
    path("households/<int:pk>/certificate.pdf", v.certificate_print, name="certificate_print"),
    path("persons/", v.person_search, name="person_search"),
    path("persons/<int:pk>/", v.person_detail, name="person_detail"),
    path("persons/<int:pk>/reveal/", person_reveal_page, name="person_reveal"),
    path("persons/<int:pk>/event/", v.member_event, name="member_event"),
    path("persons/<int:pk>/category/", v.category_grant, name="category_grant"),
    path("persons/<int:pk>/category/<int:category_pk>/end/", v.category_end, name="category_end"),
    path("import/", v.roster_import, name="roster_import"),
    path("import/template.xlsx", v.roster_template, name="roster_template"),
    path("import/<int:pk>/", v.import_job, name="import_job"),
    path("import/<int:pk>/resume/", v.import_job_resume, name="import_job_resume"),
    path("import/<int:pk>/errors.xlsx", v.import_error_report, name="import_error_report"),
]

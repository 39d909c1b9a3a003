from django.urls import path

from . import views

urlpatterns = [
    path("statements/", views.statement_list, name="statement_list"),
    path("statements/<int:pk>/", views.statement_detail, name="statement_detail"),
    path("statements/<int:pk>/print/", views.statement_print, name="statement_print"),
    path("statements/<int:pk>/statement.pdf", views.statement_pdf_view, name="statement_pdf"),
    path("reconciliation/", views.reconciliation_list, name="reconciliation_list"),
    path("reconciliation/<int:pk>/", views.reconciliation_detail, name="reconciliation_detail"),
]

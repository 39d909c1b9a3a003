from django.urls import path

from . import views, views_refunds

urlpatterns = [
    path("statements/", views.statement_list, name="statement_list"),
    path("statements/<int:pk>/", views.statement_detail, name="statement_detail"),
    path("statements/<int:pk>/print/", views.statement_print, name="statement_print"),
    path("statements/<int:pk>/statement.pdf", views.statement_pdf_view, name="statement_pdf"),
    path("reconciliation/", views.reconciliation_list, name="reconciliation_list"),
    path("reconciliation/<int:pk>/", views.reconciliation_detail, name="reconciliation_detail"),
    path("refunds/", views_refunds.refund_list, name="refund_list"),
    path("refunds/<int:pk>/", views_refunds.refund_detail, name="refund_detail"),
    path("refunds/<int:pk>/slip.pdf", views_refunds.refund_slip, name="refund_slip"),
    path("advances/", views_refunds.advance_list, name="advance_list"),
    path("advances/<int:pk>/", views_refunds.advance_detail, name="advance_detail"),
    path("advances/<int:pk>/lines.xlsx", views_refunds.advance_export, name="advance_export"),
    path("advances/<int:pk>/claim.pdf", views_refunds.advance_pdf, name="advance_pdf"),
]

from django.urls import path

from . import views_public

urlpatterns = [
    path("complaints/", views_public.public_complaint, name="public_complaint"),
    path("complaints/track/", views_public.public_track, name="public_track"),
]

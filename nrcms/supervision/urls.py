from django.urls import path

from . import views

urlpatterns = [
    path("queue/", views.queue, name="supervision_queue"),
    path("hits/", views.hit_list, name="supervision_hits"),
    path("hits/<int:pk>/", views.hit_detail, name="supervision_hit"),
    path("runs/", views.runs, name="supervision_runs"),
    path("sampling/", views.sampling, name="supervision_sampling"),
    path("rules/", views.rules, name="supervision_rules"),
]

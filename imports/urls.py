from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("<uuid:pk>/", views.job_detail, name="job"),
    path("<uuid:pk>/progress/", views.job_progress, name="progress"),
    path("<uuid:pk>/confirm/", views.job_confirm, name="confirm"),
    path("<uuid:pk>/errors.csv", views.job_errors, name="errors"),
]

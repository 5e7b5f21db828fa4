from django.urls import path

from . import export_views, views

app_name = "imports"

urlpatterns = [
    path("<uuid:pk>/", views.job_detail, name="job"),
    path("<uuid:pk>/progress/", views.job_progress, name="progress"),
    path("<uuid:pk>/confirm/", views.job_confirm, name="confirm"),
    path("<uuid:pk>/errors.csv", views.job_errors, name="errors"),
    path("exports/<uuid:pk>/", export_views.export_detail, name="export"),
    path("exports/<uuid:pk>/progress/", export_views.export_progress, name="export_progress"),
    path("exports/<uuid:pk>/download/", export_views.export_download, name="export_download"),
]

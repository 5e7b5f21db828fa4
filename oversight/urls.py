from django.urls import path

from . import dashboard_views

app_name = "oversight"

urlpatterns = [
    path("dashboard/", dashboard_views.dashboard_index, name="dashboard_index"),
    path("dashboard/<str:code>/", dashboard_views.dashboard, name="dashboard"),
    path("dashboard/<str:code>/households/", dashboard_views.drill, name="drill"),
    path("dashboard/<str:code>/<slug:key>.xlsx", dashboard_views.panel_xlsx, name="panel_xlsx"),
]

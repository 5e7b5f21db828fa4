from django.urls import path

from . import outcome_views, views

app_name = "assistance"

urlpatterns = [
    path("", views.application_list, name="applications"),
    path("new/", views.application_new, name="application_new"),
    path("<int:pk>/", views.application_detail, name="application"),
    path("<int:pk>/attachment/", views.application_attachment, name="attachment"),
    path("limits/", views.policy, name="policy"),
    path("funds/", views.fund_list, name="funds"),
    path("funds/<str:code>/", views.fund_detail, name="fund"),
    path("funds/<str:code>/ledger.xlsx", views.fund_xlsx, name="fund_xlsx"),
    path("emergencies/", views.emergency_list, name="emergencies"),
    path("emergencies/new/", views.emergency_new, name="emergency_new"),
    path("emergencies/<int:pk>/", views.emergency_detail, name="emergency"),
    path("emergencies/<int:pk>/close/", views.emergency_close, name="emergency_close"),
    path("emergencies/<int:pk>/report/", views.emergency_report, name="emergency_report"),
    path("emergencies/<int:pk>/roll-call/", views.roll_call, name="roll_call"),
    path("outcomes/", outcome_views.outcome_lists, name="outcomes"),
    path("outcomes/housing/<int:pk>/", outcome_views.housing_case, name="housing_case"),
    path("outcomes/<str:which>.xlsx", outcome_views.outcome_export, name="outcome_export"),
]

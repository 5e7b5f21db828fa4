from django.urls import path

from . import views

app_name = "custody"

urlpatterns = [
    path("", views.account_list, name="account_list"),
    path("accounts/new/", views.account_open, name="account_open"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/close/", views.account_close, name="account_close"),
    path("accounts/<int:pk>/caregiver/", views.caregiver_appoint, name="caregiver_appoint"),
    path("accounts/<int:pk>/deposit/", views.deposit, name="deposit"),
    path("accounts/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("accounts/<int:pk>/entries/<int:entry_pk>/reverse/", views.reverse_entry, name="reverse_entry"),
    path("accounts/<int:pk>/entries/<int:entry_pk>/receipt/", views.receipt_photo, name="receipt_photo"),
    path("accounts/<int:pk>/statement/", views.statement, name="statement"),
    path("accounts/<int:pk>/statement.xlsx", views.statement_xlsx, name="statement_xlsx"),
    path("accounts/<int:pk>/check/", views.check_sign, name="check_sign"),
    path("accounts/<int:pk>/evaluate/", views.evaluate, name="evaluate"),
    path("meetings/", views.meeting_list, name="meeting_list"),
    path("meetings/new/", views.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/minutes/", views.meeting_minutes, name="meeting_minutes"),
    path("villages/<str:code>/", views.village_summary, name="village_summary"),
    path("evaluations/due/", views.evaluations_due, name="evaluations_due"),
    path("spot-checks/", views.spot_check_list, name="spot_check_list"),
    path("spot-checks/new/", views.spot_check_create, name="spot_check_create"),
    path("spot-checks/<int:pk>/", views.spot_check_detail, name="spot_check_detail"),
    path("spot-checks/<int:pk>/samples/<int:sample_pk>/", views.sample_finding, name="sample_finding"),
    path("settings/", views.policy, name="policy"),
]

from django.urls import path

from . import finding_views, views

app_name = "visits"

urlpatterns = [
    path("mine/", views.my_households, name="mine"),
    path("households/<int:pk>/", views.household_visits, name="household"),
    path("households/<int:pk>/record/", views.visit_new, name="record"),
    path("households/<int:pk>/why-due/", views.why_due, name="why_due"),
    path("households/<int:pk>/pauses/", views.pause_add, name="pause_add"),
    path("pauses/<int:pk>/end/", views.pause_close, name="pause_end"),
    path("photos/<int:pk>/", views.visit_photo, name="photo"),
    path("findings/<int:pk>/", views.finding_detail, name="finding"),
    path("findings/<int:pk>/reassign/", finding_views.finding_reassign, name="finding_reassign"),
    path("findings/<int:pk>/deadline/", finding_views.finding_deadline, name="finding_deadline"),
    path("finding-photos/<int:pk>/", finding_views.finding_photo, name="finding_photo"),
    path("inbox/", views.inbox, name="inbox"),
    path("desk/", views.desk, name="desk"),
    path("report/overdue.csv", views.overdue_report, name="overdue_report"),
    path("ledger.xlsx", views.visit_ledger, name="ledger"),
    path("import/", views.visit_import, name="import"),
    path("import/template.xlsx", views.visit_import_template, name="import_template"),
    path("policy/", views.policy, name="policy"),
    path("special-periods/", views.special_periods, name="special_periods"),
]

from django.urls import path

from . import holiday_views, views

app_name = "services"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral"),
    path("referrals.xlsx", views.export_xlsx, name="export"),
    path("counts/", views.counts, name="counts"),
    path("escalate/", views.escalate_now, name="escalate"),
    path("households/<int:pk>/referrals/", views.household_referrals, name="household_referrals"),
    path("households/<int:pk>/referrals/new/", views.referral_new, name="referral_new"),
    path("households/<int:pk>/conferences/new/", views.conference_new, name="conference_new"),
    path("households/<int:pk>/decisions/new/", views.decision_new, name="decision_new"),
    path("lists/", views.lists, name="lists"),
    path("providers/", views.providers, name="providers"),
    path("providers/new/", views.provider_edit, name="provider_new"),
    path("providers/<int:pk>/", views.provider_edit, name="provider_edit"),
    path("fields/", views.fields, name="fields"),
    path("fields/<int:pk>/", views.field_edit, name="field_edit"),
    path("holidays/", holiday_views.holiday_list, name="holidays"),
    path("holidays/<int:year>/", holiday_views.holiday_year, name="holiday_year"),
]

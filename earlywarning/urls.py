from django.urls import path

from . import views

app_name = "earlywarning"

urlpatterns = [
    path("warnings/", views.desk, name="desk"),
    path("warnings/<int:pk>/", views.warning_detail, name="warning"),
    path("warnings/policy/", views.policy, name="policy"),
    path("warnings/help-requests/<int:pk>/", views.help_request_detail, name="help_request"),
    path("warnings/households/<int:pk>/door-card/", views.door_card, name="door_card"),
    # The public pages of the door card's QR (no login): short, for a small QR.
    path("h/<str:token>/", views.help_page, name="help"),
    path("h/<str:token>/sent/", views.help_sent, name="help_sent"),
]

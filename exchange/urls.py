from django.urls import path

from . import views

app_name = "exchange"

urlpatterns = [
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("cross-checks/", views.cross_check_list, name="cross_checks"),
    path("cross-checks/<int:pk>/", views.cross_check_detail, name="cross_check"),
    path("cross-checks/template/<str:source>.csv", views.cross_check_template, name="cross_check_template"),
    path("proposals/", views.proposal_list, name="proposals"),
    path("proposals/entry/", views.propose_entry, name="propose_entry"),
    path("proposals/<int:pk>/decide/", views.proposal_decide, name="proposal_decide"),
    path("proposals/<int:pk>/reveal/", views.proposal_id_reveal, name="proposal_id_reveal"),
    path("households/<int:pk>/propose/<str:kind>/", views.propose, name="propose"),
    path("quality/", views.quality, name="quality"),
]

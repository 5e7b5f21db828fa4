from django.urls import path

from . import pairing_views, views

app_name = "beneficiaries"

urlpatterns = [
    path("", views.roster_list, name="roster_list"),
    path("new/", views.household_create, name="household_create"),
    path("import/", views.roster_import, name="roster_import"),
    path("template/", views.roster_template, name="roster_template"),
    path("export/", views.roster_export, name="roster_export"),
    path("export/pairings/", views.pairing_export, name="pairing_export"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("households/<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:pk>/why-tier/", views.why_tier, name="why_tier"),
    path("households/<int:pk>/members/new/", views.person_edit, name="person_create"),
    path("households/<int:pk>/members/<int:person_pk>/", views.person_edit, name="person_edit"),
    path("households/<int:pk>/classify/", views.classify, name="classify"),
    path("households/<int:pk>/exit/", views.household_exit, name="household_exit"),
    path("households/<int:pk>/pair/", views.pairing_create, name="pairing_create"),
    path("households/<int:pk>/change-cadre/", pairing_views.pairing_change, name="pairing_change"),
    path("households/<int:pk>/plan/", views.plan_edit, name="plan_edit"),
    path("households/<int:pk>/door-card/", views.door_card, name="door_card"),
    path("villages/<str:code>/door-cards/", views.door_cards_village, name="door_cards_village"),
    path("pairings/<int:pairing_pk>/end/", views.pairing_end, name="pairing_end"),
    path("people/<int:person_pk>/reveal/", views.id_reveal, name="id_reveal"),
    path("cadres/", views.cadre_list, name="cadre_list"),
    path("cadres/new/", views.cadre_edit, name="cadre_create"),
    path("cadres/<int:pk>/", views.cadre_detail, name="cadre_detail"),
    path("cadres/<int:pk>/edit/", views.cadre_edit, name="cadre_edit"),
    path("cadres/<int:pk>/reassign/", views.cadre_reassign, name="cadre_reassign"),
    path("reviews/", views.review_list, name="review_list"),
    path("reviews/start/", views.review_start, name="review_start"),
    path("reviews/<int:pk>/", views.review_detail, name="review_detail"),
    path("reviews/<int:pk>/complete/", views.review_complete, name="review_complete"),
    path("reviews/<int:pk>/export/", views.review_export, name="review_export"),
]

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EarlyWarningConfig(AppConfig):
    """Early warning (关爱预警): the signals of the apps that own the facts, combined per household
    into warnings the township verifies; the door card's help request."""

    name = "earlywarning"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("关爱预警")

    def ready(self) -> None:
        from beneficiaries import events
        from beneficiaries import views as beneficiaries_views
        from visits import panels
        from visits.actions import VISIT_RECORDED

        from . import actions, queries, views

        panels.register(panels.CADRE_LIST, "earlywarning/_cadre_panel.html", views.cadre_panel_context)
        if queries.help_paths not in beneficiaries_views.DOOR_CARD_QR_TARGETS:
            beneficiaries_views.DOOR_CARD_QR_TARGETS.append(queries.help_paths)
        events.subscribe(VISIT_RECORDED, actions.on_new_facts)
        events.subscribe(events.ROSTER_CHANGED, actions.on_new_facts)
        panels.register(panels.DESK, "earlywarning/_desk_panel.html", views.desk_panel_context)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("探视走访")

    def ready(self) -> None:
        from beneficiaries import events
        from beneficiaries.tabs import HOUSEHOLD_TABS, HouseholdTab
        from imports import registry
        from imports.models import ImportKind

        from . import actions, imports
        from .views import household_tab_context

        events.subscribe(events.ROSTER_CHANGED, actions.on_roster_changed)
        registry.register(ImportKind.VISITS, imports.visits_job)

        if not any(t.key == "visits" for t in HOUSEHOLD_TABS):
            HOUSEHOLD_TABS.append(HouseholdTab("visits", _("走访"), "visits/household_tab.html", household_tab_context))

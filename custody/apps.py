from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustodyConfig(AppConfig):
    name = "custody"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("保障资金代管")

    def ready(self) -> None:
        from beneficiaries.tabs import HOUSEHOLD_TABS, HouseholdTab

        from .views import household_tab_context

        if not any(t.key == "custody" for t in HOUSEHOLD_TABS):
            HOUSEHOLD_TABS.append(HouseholdTab("custody", _("资金代管"), "custody/household_tab.html", household_tab_context))

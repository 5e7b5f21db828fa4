from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "services"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("部门协同")

    def ready(self) -> None:
        from beneficiaries.tabs import HOUSEHOLD_TABS, HouseholdTab

        from .views import household_tab_context

        if not any(t.key == "referrals" for t in HOUSEHOLD_TABS):
            HOUSEHOLD_TABS.append(
                HouseholdTab("referrals", _("转介"), "services/household_tab.html", household_tab_context)
            )

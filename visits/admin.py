"""Admin of visits and their follow-up, scoped like the site (read-only but for the settings)."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin
from accounts.admin_io import ReferenceAdminMixin
from accounts.models import Role
from accounts.scoping import has_role

from .models import Escalation, Finding, OverdueAlert, Pause, SpecialPeriod, Visit, VisitPolicy
from .resources import VisitPolicyResource

for model in (Visit, Finding, OverdueAlert, Escalation, Pause, SpecialPeriod):
    admin.site.register(model, ReadOnlyAdmin)


@admin.register(VisitPolicy)
class VisitPolicyAdmin(ReferenceAdminMixin, ReadOnlyAdmin):
    """Visit-frequency settings: exported by the counties (their own rows), re-imported by the
    prefecture bureau, which sets them (accounts/admin_io.py)."""

    resource_classes = [VisitPolicyResource]
    list_display = ("county", "tier", "interval_days", "monthly_minimum", "effective_on", "set_by")
    list_select_related = ("county", "set_by")

    def can_import(self, user) -> bool:
        return user.is_superuser or has_role(user, Role.PREFECTURE)

"""Read-only admin of the roster for bureau staff, scoped like the site; ID numbers masked.
Every change goes through the roster pages (beneficiaries.actions)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdmin
from accounts.admin_io import ReferenceAdminMixin

from . import actions
from .models import Cadre, Classification, Household, Pairing, Person
from .resources import CadreResource


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdmin):
    list_display = ("code", "village", "tier", "status", "next_due_on")
    list_filter = ("tier", "status")
    search_fields = ("code",)
    list_select_related = ("village",)


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ("name", "masked_id", "household", "relation", "benefit_status")
    list_filter = ("benefit_status", "self_care")
    search_fields = ("name", "household__code")
    list_select_related = ("household",)
    exclude = ("id_number",)

    @admin.display(description=_("身份证号"))
    def masked_id(self, obj: Person) -> str:
        return obj.id_masked


@admin.register(Classification)
class ClassificationAdmin(ReadOnlyAdmin):
    list_display = ("household", "from_tier", "tier", "criteria", "effective_on", "decided_by")
    list_select_related = ("household", "decided_by")


@admin.register(Cadre)
class CadreAdmin(ReferenceAdminMixin, ReadOnlyAdmin):
    resource_classes = [CadreResource]
    list_display = ("name", "kind", "work_unit", "home_village", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "phone")
    list_select_related = ("home_village",)

    def can_import(self, user) -> bool:
        return actions.can_edit_roster(user)


@admin.register(Pairing)
class PairingAdmin(ReadOnlyAdmin):
    list_display = ("household", "cadre", "relation", "started_on", "ended_on")
    list_select_related = ("household", "cadre")

"""Admin of fields of help, referrals, providers and holiday tables, scoped like the site
(departments: accounts.admin). Fields, providers and holidays are reference tables exported and
re-imported here through the app's actions (accounts/admin_io.py); referrals are only shown."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin
from accounts.admin_io import ReferenceAdminMixin
from accounts.models import Role
from accounts.scoping import has_role

from . import actions, holidays
from .models import Field, HolidayDay, Referral, ServiceProvider
from .resources import FieldResource, HolidayDayResource, ServiceProviderResource

admin.site.register(Referral, ReadOnlyAdmin)


def _bureau(user) -> bool:
    return user.is_superuser or has_role(user, Role.PREFECTURE)


@admin.register(Field)
class FieldAdmin(ReferenceAdminMixin, ReadOnlyAdmin):
    resource_classes = [FieldResource]
    list_display = ("number", "name", "route_to", "deadline_days")

    def get_queryset(self, request):
        if _bureau(request.user):  # reference data, not personal: the whole table
            return Field.objects.select_related("route_to").prefetch_related("lead_departments", "responsible_departments")
        return super().get_queryset(request)

    def can_import(self, user) -> bool:
        return _bureau(user)


@admin.register(ServiceProvider)
class ServiceProviderAdmin(ReferenceAdminMixin, ReadOnlyAdmin):
    resource_classes = [ServiceProviderResource]
    list_display = ("name", "kind", "owner_area", "active")
    list_filter = ("kind", "active")
    search_fields = ("name",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner_area").prefetch_related("areas")

    def can_import(self, user) -> bool:
        return bool(actions._provider_prefixes(user))


@admin.register(HolidayDay)
class HolidayDayAdmin(ReferenceAdminMixin, ReadOnlyAdmin):
    resource_classes = [HolidayDayResource]
    list_display = ("day", "kind", "name", "year")
    list_filter = ("kind", "year")
    date_hierarchy = "day"

    def get_queryset(self, request):
        if holidays.can_view(request.user):  # the prefecture's tables: not personal data
            return HolidayDay.objects.select_related("year")
        return super().get_queryset(request)

    def can_import(self, user) -> bool:
        return holidays.can_edit(user)

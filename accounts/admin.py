"""Admin for bureau staff. Every admin list goes through the same scoping function as the site."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .actions import can_keep_departments
from .admin_io import ReferenceAdminMixin
from .models import Agency, Area, AuditEvent, Department, RoleAssignment, User
from .resources import DepartmentResource
from .scoping import scope_queryset


class ScopedAdminMixin:
    """Limit the admin's rows to the signed-in user's scope (superusers see everything)."""

    def get_queryset(self, request):
        return scope_queryset(request.user, super().get_queryset(request))


class ReadOnlyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """For domain records: every write goes through the pages and their actions (validation,
    audit, locks), so the admin only shows — scoped like the site."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Area)
class AreaAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    readonly_fields = ("code", "name", "level", "parent")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ("area",)


@admin.register(User)
class UserAdmin(ScopedAdminMixin, BaseUserAdmin):
    list_display = ("username", "real_name", "phone", "is_active", "last_login")
    search_fields = ("username", "real_name", "phone")
    fieldsets = BaseUserAdmin.fieldsets + ((_("联系信息"), {"fields": ("real_name", "phone")}),)
    inlines = [RoleInline]


# Departments and agencies are reference data kept by the bureau. The department list is exported
# and re-imported here (accounts/admin_io.py); the agencies are only shown.
@admin.register(Department)
class DepartmentAdmin(ReferenceAdminMixin, ReadOnlyAdmin):
    resource_classes = [DepartmentResource]
    list_display = ("code", "name")
    search_fields = ("code", "name")

    def get_queryset(self, request):
        if can_keep_departments(request.user):  # reference data, not personal: the whole list
            return Department.objects.prefetch_related("lead_fields", "responsible_fields")
        return super().get_queryset(request)

    def can_import(self, user) -> bool:
        return can_keep_departments(user)


@admin.register(Agency)
class AgencyAdmin(ReadOnlyAdmin):
    list_display = ("name", "county", "phone")


@admin.register(AuditEvent)
class AuditEventAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_repr", "ip")
    list_filter = ("action", "object_type")
    search_fields = ("object_repr", "object_id", "actor__username", "actor__real_name")
    date_hierarchy = "at"

    # The audit log is append-only (a database trigger refuses UPDATE and DELETE too).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

"""The department list (部门名录) as an admin reference table (accounts/admin_io.py), kept by
the prefecture bureau through `actions.department_save`."""

from __future__ import annotations

from django.utils.translation import gettext as _
from import_export import fields

from . import actions
from .admin_io import ReferenceResource, column
from .models import Department


class DepartmentResource(ReferenceResource):
    code = column(Department, "code")
    name = column(Department, "name")
    lead_fields = fields.Field(column_name=_("牵头领域"), readonly=True)
    responsible_fields = fields.Field(column_name=_("责任领域"), readonly=True)

    class Meta(ReferenceResource.Meta):
        model = Department
        fields = ("code", "name", "lead_fields", "responsible_fields")
        import_id_fields = ("code",)

    def get_queryset(self):
        return Department.objects.all() if actions.can_keep_departments(self.user) else Department.objects.none()

    def dehydrate_lead_fields(self, department):
        return "、".join(f.name for f in sorted(department.lead_fields.all(), key=lambda f: f.number))

    def dehydrate_responsible_fields(self, department):
        return "、".join(f.name for f in sorted(department.responsible_fields.all(), key=lambda f: f.number))

    def save_through_action(self, instance, is_create, row):
        stored = None if is_create else Department.objects.get(pk=instance.pk)
        saved = actions.department_save(actor=self.user, code=instance.code, name=instance.name, department=stored,
                                        request=self.request)
        instance.pk = saved.pk

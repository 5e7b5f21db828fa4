"""Reference tables of services in the admin (accounts/admin_io.py): the fields of help (帮扶领域,
routing and deadline kept by the prefecture bureau: `actions.field_update`), the service providers
(社会服务资源: `actions.provider_save`) and the holiday tables (节假日安排: `holidays.year_save`)."""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, widgets

from accounts.admin_io import (
    AreaCodesWidget,
    AreaCodeWidget,
    ChoiceLabelWidget,
    ChoiceListWidget,
    ExcelDateWidget,
    NamedWidget,
    ReferenceResource,
    YesNoWidget,
    column,
)
from accounts.models import Department, Role
from accounts.scoping import has_role

from . import actions, holidays
from .models import Field, HolidayDay, HolidayDayKind, HolidayYear, ProviderKind, ServiceKind, ServiceProvider


def _names(departments) -> str:
    return "、".join(d.name for d in sorted(departments, key=lambda d: d.code))


class FieldResource(ReferenceResource):
    number = column(Field, "number")
    name = column(Field, "name", readonly=True)
    lead_departments = fields.Field(column_name=_("牵头单位"), readonly=True)
    responsible_departments = fields.Field(column_name=_("责任单位"), readonly=True)
    route_to = column(Field, "route_to", NamedWidget(Department))
    deadline_days = column(Field, "deadline_days")

    class Meta(ReferenceResource.Meta):
        model = Field
        fields = ("number", "name", "lead_departments", "responsible_departments", "route_to", "deadline_days")
        import_id_fields = ("number",)

    def get_queryset(self):
        visible = self.user and (self.user.is_superuser or has_role(self.user, Role.PREFECTURE))
        return Field.objects.all() if visible else Field.objects.none()

    def dehydrate_lead_departments(self, field):
        return _names(field.lead_departments.all())

    def dehydrate_responsible_departments(self, field):
        return _names(field.responsible_departments.all())

    def save_through_action(self, instance, is_create, row):
        if is_create:
            raise ValidationError(_("帮扶领域是固定的十一项，序号“%(n)s”不存在，不能新增。") % {"n": instance.number})
        if instance.route_to_id is None:
            raise ValidationError({"route_to": _("请填写默认受理部门。")})
        if not 1 <= (instance.deadline_days or 0) <= 60:
            raise ValidationError({"deadline_days": _("办理时限应为1至60个工作日。")})
        actions.field_update(actor=self.user, field=Field.objects.get(pk=instance.pk), route_to=instance.route_to,
                             deadline_days=instance.deadline_days, request=self.request)


class ServiceProviderResource(ReferenceResource):
    id = fields.Field(attribute="id", column_name=_("编号"), widget=widgets.IntegerWidget())
    name = column(ServiceProvider, "name")
    kind = column(ServiceProvider, "kind", ChoiceLabelWidget(ProviderKind))
    services = column(ServiceProvider, "services", ChoiceListWidget(ServiceKind))
    areas = fields.Field(attribute="areas", column_name=_("服务区域代码"), widget=AreaCodesWidget())
    contact_name = column(ServiceProvider, "contact_name")
    phone = column(ServiceProvider, "phone")
    note = column(ServiceProvider, "note")
    active = column(ServiceProvider, "active", YesNoWidget())
    owner_area = fields.Field(attribute="owner_area", column_name=_("登记单位区划代码"), widget=AreaCodeWidget())

    class Meta(ReferenceResource.Meta):
        model = ServiceProvider
        fields = ("id", "name", "kind", "services", "areas", "contact_name", "phone", "note", "active", "owner_area")
        import_id_fields = ("id",)

    def get_queryset(self):
        # Every signed-in user may look providers up; an import reaches only those the user maintains.
        prefixes = actions._provider_prefixes(self.user) if self.user else []
        qs = ServiceProvider.objects.none()
        for prefix in prefixes:
            qs = qs | ServiceProvider.objects.filter(owner_area__code__startswith=prefix)
        return qs

    def save_through_action(self, instance, is_create, row):
        if instance.owner_area_id is None:
            raise ValidationError({"owner_area": _("请填写登记单位的12位区划代码。")})
        try:
            areas = self.fields["areas"].clean(row)
        except ValueError as exc:
            raise ValidationError({"areas": str(exc)}) from exc
        stored = None if is_create else ServiceProvider.objects.get(pk=instance.pk)
        saved = actions.provider_save(
            actor=self.user, name=instance.name, kind=instance.kind, services=instance.services, areas=areas,
            owner_area=instance.owner_area, contact_name=instance.contact_name, phone=instance.phone,
            note=instance.note, active=instance.active, provider=stored, request=self.request,
        )
        instance.pk = saved.pk


class HolidayDayResource(ReferenceResource):
    """One row per day. A year that appears in the file is replaced whole by the file's days of
    that year (as the holiday page does): the rows are gathered and `holidays.year_save` runs once
    per year after the last row, with the year's 依据 kept."""

    day = column(HolidayDay, "day", ExcelDateWidget())
    kind = column(HolidayDay, "kind", ChoiceLabelWidget(HolidayDayKind))
    name = column(HolidayDay, "name")
    source = fields.Field(attribute="year__source", column_name=_("依据"), readonly=True)

    class Meta(ReferenceResource.Meta):
        model = HolidayDay
        fields = ("day", "kind", "name", "source")
        import_id_fields = ("day",)

    def get_queryset(self):
        visible = self.user and holidays.can_edit(self.user)
        return HolidayDay.objects.select_related("year") if visible else HolidayDay.objects.none()

    def dehydrate_source(self, day):
        return str(day.year.source_display)

    def before_import(self, dataset, **kwargs):
        self.changed_years: dict[int, int] = {}  # year → the Excel row of its first changed day

    def save_instance(self, instance, is_create, row, **kwargs):
        self.row_number = kwargs.get("row_number", 0) + 1
        super().save_instance(instance, is_create, row, **kwargs)

    def save_through_action(self, instance, is_create, row):
        if instance.day is None:
            raise ValidationError({"day": _("请填写日期。")})
        if not instance.name or len(instance.name) > 40:
            raise ValidationError({"name": _("节日名称应为1至40个字。")})
        if instance.kind == HolidayDayKind.WORK and instance.day.weekday() < 5:
            raise ValidationError({"kind": _("调休上班日应为周六或周日，%(d)s 是工作日。") % {"d": instance.day}})
        self.changed_years.setdefault(instance.day.year, self.row_number)

    def after_import(self, dataset, result, **kwargs):
        if not self.changed_years or result.has_validation_errors() or result.has_errors():
            return
        lines = defaultdict(list)
        for values in dataset.dict:
            row = dict(values)
            self.before_import_row(row)
            day = self.fields["day"].clean(row)
            if day.year in self.changed_years:
                kind = self.fields["kind"].clean(row)
                lines[day.year].append(f"{row.get(self.fields['name'].column_name) or ''},{day:%Y-%m-%d},,"
                                       f"{holidays.KIND_TEXT[kind]}")
        for year in sorted(self.changed_years):
            stored = HolidayYear.objects.filter(year=year).first()
            source = stored.source if stored and not stored.preset else _("管理后台导入")
            try:
                holidays.year_save(actor=self.user, year=year, text="\n".join(lines[year]), source=source,
                                   request=self.request)
            except ValidationError as exc:  # reported at the year's first changed row, nothing saved
                number = self.changed_years[year]
                result.append_invalid_row(number - 1, {}, ValidationError(
                    [_("第%(r)d行：%(y)d年节假日安排：%(m)s") % {"r": number, "y": year, "m": m} for m in exc.messages]))

"""The cadre list (帮扶干部名录) as an admin reference table (accounts/admin_io.py): exported and
re-imported by the county and township staff who keep it, through `actions.cadre_save`."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, widgets

from accounts.admin_io import (
    AreaCodeWidget,
    ChoiceLabelWidget,
    NamedWidget,
    ReferenceResource,
    YesNoWidget,
    column,
)
from accounts.models import Agency

from . import actions
from .models import Cadre, CadreKind


class CadreResource(ReferenceResource):
    id = fields.Field(attribute="id", column_name=_("编号"), widget=widgets.IntegerWidget())
    name = column(Cadre, "name")
    phone = column(Cadre, "phone")
    kind = column(Cadre, "kind", ChoiceLabelWidget(CadreKind))
    work_unit = column(Cadre, "work_unit")
    home_village = fields.Field(attribute="home_village", column_name=_("所在村(居)区划代码"), widget=AreaCodeWidget())
    village_name = fields.Field(attribute="home_village__name", column_name=_("所在村(居)"), readonly=True)
    agency = column(Cadre, "agency", NamedWidget(Agency))
    active = column(Cadre, "active", YesNoWidget(), readonly=True)

    class Meta(ReferenceResource.Meta):
        model = Cadre
        fields = ("id", "name", "phone", "kind", "work_unit", "home_village", "village_name", "agency", "active")
        import_id_fields = ("id",)

    def get_queryset(self):
        return super().get_queryset().select_related("home_village", "agency")

    def save_through_action(self, instance, is_create, row):
        if instance.home_village_id is None:
            raise ValidationError({"home_village": _("请填写所在村(居)的12位区划代码。")})
        data = {name: getattr(instance, name) for name in actions.CADRE_FIELDS}
        stored = None if is_create else Cadre.objects.get(pk=instance.pk)
        saved = actions.cadre_save(actor=self.user, data=data, cadre=stored, request=self.request)
        instance.pk = saved.pk

"""Visit-frequency settings (走访频次设置) as an admin reference table (accounts/admin_io.py).
Settings are never edited: a row already in force is skipped when unchanged and refused when
changed; a new row (county, tier, effective date) goes through `actions.policy_set`, which
recomputes the county's due dates."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from import_export import fields

from accounts.admin_io import AreaCodeWidget, ChoiceLabelWidget, ReferenceResource, column
from beneficiaries.models import Tier

from . import actions
from .models import VisitPolicy


class VisitPolicyResource(ReferenceResource):
    county = fields.Field(attribute="county", column_name=_("县(市)区划代码"), widget=AreaCodeWidget())
    county_name = fields.Field(attribute="county__name", column_name=_("县(市)"), readonly=True)
    tier = column(VisitPolicy, "tier", ChoiceLabelWidget(Tier))
    interval_days = column(VisitPolicy, "interval_days")
    monthly_minimum = column(VisitPolicy, "monthly_minimum")
    effective_on = column(VisitPolicy, "effective_on")
    reason = column(VisitPolicy, "reason")
    set_by = fields.Field(attribute="set_by__real_name", column_name=_("设置人"), readonly=True)

    class Meta(ReferenceResource.Meta):
        model = VisitPolicy
        fields = ("county", "county_name", "tier", "interval_days", "monthly_minimum", "effective_on", "reason",
                  "set_by")
        import_id_fields = ("county", "tier", "effective_on")

    def get_queryset(self):
        return super().get_queryset().select_related("county", "set_by")

    def save_through_action(self, instance, is_create, row):
        if not is_create:
            raise ValidationError(_("已有的设置不能修改：请新增一行，写明以后的生效日期。"))
        if instance.county_id is None or instance.effective_on is None:
            raise ValidationError(_("请填写县(市)区划代码和生效日期。"))
        saved = actions.policy_set(
            actor=self.user, county=instance.county, tier=instance.tier, interval_days=instance.interval_days,
            monthly_minimum=instance.monthly_minimum, effective_on=instance.effective_on, reason=instance.reason,
            today=timezone.localdate(), request=self.request,
        )
        instance.pk = saved.pk

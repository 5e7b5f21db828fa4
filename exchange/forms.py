from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Area, AreaLevel, Department
from services.models import Field

from .models import ProposalKind, ProposalReason, Source

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Area) -> str:
        return f"{obj.name}（{obj.code}）"


class TokenForm(forms.Form):
    name = forms.CharField(label=_("用途"), max_length=100,
                           help_text=_("对接的业务系统，如：州教育局学生资助系统"))
    department = forms.ModelChoiceField(label=_("部门"), queryset=Department.objects.order_by("code"),
                                        empty_label=_("请选择部门"))
    fields = forms.ModelMultipleChoiceField(label=_("帮扶领域"), queryset=Field.objects.order_by("number"),
                                            widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
                                            help_text=_("只能选择该部门牵头、负责或默认受理的领域"))
    area = AreaChoiceField(label=_("数据范围"), queryset=Area.objects.filter(
        level__in=[AreaLevel.PREFECTURE, AreaLevel.COUNTY]).order_by("code"), empty_label=_("请选择州或县(市)"))
    expires_on = forms.DateField(label=_("有效期至"), widget=DATE, help_text=_("最长两年"))

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_on"].initial = today + dt.timedelta(days=365)


class CrossCheckForm(forms.Form):
    source = forms.ChoiceField(label=_("名单类型"), choices=Source.choices)
    area = AreaChoiceField(label=_("比对范围"), queryset=Area.objects.none(), empty_label=None)
    file = forms.FileField(label=_("名单文件(.xlsx或.csv)"))

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas


class ProposalForm(forms.Form):
    reason = forms.ChoiceField(label=_("理由"), choices=())
    reason_text = forms.CharField(label=_("具体说明"), max_length=300, required=False,
                                  help_text=_("选择“其他”时必填"))
    effective_on = forms.DateField(label=_("事实发生日期"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                   help_text=_("如死亡日期、迁出日期、年满18周岁之日；决定后从这一天起生效。不填则从决定之日起生效。"))

    def __init__(self, *args, kind: str, **kwargs):
        from .actions import REASONS_BY_KIND

        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", _("请选择理由"))] + [
            (r.value, r.label) for r in REASONS_BY_KIND[ProposalKind(kind)]]
        if kind != ProposalKind.EXIT:  # only an exit is applied from the fact's day
            del self.fields["effective_on"]


class EntryProposalForm(ProposalForm):
    village = AreaChoiceField(label=_("所在村(居)"), queryset=Area.objects.none(), empty_label=_("请选择村(居)"))
    household_code = forms.CharField(label=_("户编号"), max_length=40)
    name = forms.CharField(label=_("户主姓名"), max_length=50)
    id_number = forms.CharField(label=_("户主身份证号"), max_length=30)
    address = forms.CharField(label=_("住址"), max_length=200, required=False)

    field_order = ["village", "household_code", "name", "id_number", "address", "reason", "reason_text"]

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, kind=ProposalKind.ENTRY, **kwargs)
        self.fields["village"].queryset = villages


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("同意")), ("reject", _("不同意"))])
    reason = forms.CharField(label=_("决定理由"), max_length=300)


REASON_CHOICES = ProposalReason.choices

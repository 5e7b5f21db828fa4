"""Forms of the visits app: input only, no business logic (that is in visits.actions)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.models import Area, AreaLevel
from beneficiaries.models import Tier

from . import checklist
from .models import (
    Benefit,
    Condition,
    FamilySupport,
    FindingStatus,
    GeoStatus,
    Health,
    Need,
    PauseKind,
    Safety,
    SpecialPeriodKind,
    VisitMode,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def _choice(label, choices, required=False):
    return forms.ChoiceField(label=label, choices=[("", "—")] + list(choices), required=required)


def _radio(label, choices):
    return forms.ChoiceField(label=label, choices=choices, widget=forms.RadioSelect, required=False)


class VisitForm(forms.Form):
    """The cadre's phone form: the §3 checklist as structured fields, findings as short texts."""

    client_token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    visited_on = forms.DateField(label=_("走访日期"), widget=DATE)
    mode = forms.ChoiceField(label=_("走访方式"), choices=VisitMode.choices, widget=forms.RadioSelect,
                             initial=VisitMode.IN_PERSON)
    met_with = forms.CharField(label=_("见到的人"), max_length=100, required=False)
    health = _radio(_("健康情况"), Health.choices)
    health_note = forms.CharField(label=_("健康情况说明"), max_length=200, required=False)
    food = _radio(_("食"), Condition.choices)
    clothing = _radio(_("衣"), Condition.choices)
    housing = _radio(_("住"), Condition.choices)
    transport = _radio(_("行"), Condition.choices)
    medical = _radio(_("医"), Condition.choices)
    living_note = forms.CharField(label=_("衣食住行医说明"), max_length=200, required=False)
    benefits = forms.MultipleChoiceField(label=_("享受社会保障待遇"), choices=Benefit.choices,
                                         widget=forms.CheckboxSelectMultiple, required=False)
    family_support = _radio(_("赡养扶养义务履行"), FamilySupport.choices)
    house_safety = _radio(_("房屋安全"), Safety.choices)
    water_safety = _radio(_("用水安全"), Safety.choices)
    power_safety = _radio(_("用电安全"), Safety.choices)
    gas_safety = _radio(_("用气安全"), Safety.choices)
    heating_safety = _radio(_("取暖安全"), Safety.choices)
    needs = forms.MultipleChoiceField(label=_("服务需求"), choices=Need.choices,
                                      widget=forms.CheckboxSelectMultiple, required=False)
    hazards_fixed = forms.MultipleChoiceField(label=_("当场已排除的隐患（不再跟踪）"), choices=list(checklist.HAZARDS.items()),
                                              widget=forms.CheckboxSelectMultiple, required=False)
    wishes = forms.CharField(label=_("本人意愿"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    wishes_not_asked = forms.BooleanField(label=_("未询问本人意愿"), required=False)
    notes = forms.CharField(label=_("走访记录"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    hazard = forms.CharField(label=_("安全隐患（需跟踪整改）"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    service_need = forms.CharField(label=_("服务需求（需对接解决）"), widget=forms.Textarea(attrs={"rows": 2}),
                                   required=False)
    benefit = forms.CharField(label=_("可能符合的救助政策（告知并协助申请）"), widget=forms.Textarea(attrs={"rows": 2}),
                              required=False)
    special = forms.CharField(label=_("特殊情况（立即报告乡镇）"), widget=forms.Textarea(attrs={"rows": 2}),
                              required=False)
    photos = MultipleFileField(label=_("照片（可选）"), required=False)
    late_reason = forms.CharField(label=_("补录说明"), max_length=200, required=False,
                                  help_text=_("走访日期早于昨天时必填"))

    # Sent by the browser (contract in docs/visits.md); a plain form post has none of them.
    captured_at = forms.CharField(widget=forms.HiddenInput, required=False)
    geo_status = forms.CharField(widget=forms.HiddenInput, required=False)
    geo_lat = forms.CharField(widget=forms.HiddenInput, required=False)
    geo_lng = forms.CharField(widget=forms.HiddenInput, required=False)
    geo_accuracy_m = forms.CharField(widget=forms.HiddenInput, required=False)

    FINDING_FIELDS = checklist.FINDING_KINDS
    CHECKLIST = checklist.CHECKLIST_FIELDS

    # Capture data never refuses a visit: what cannot be read is recorded as unknown.
    def clean_captured_at(self) -> dt.datetime | None:
        raw = (self.cleaned_data.get("captured_at") or "").strip()
        try:
            value = dt.datetime.fromisoformat(raw) if raw else None
        except ValueError:
            return None
        return value if value is None or value.tzinfo is not None else None

    def clean_geo_status(self) -> str:
        raw = (self.cleaned_data.get("geo_status") or "").strip()
        return raw if raw in GeoStatus.values else GeoStatus.NOT_ASKED

    def _decimal(self, name: str) -> Decimal | None:
        try:
            value = Decimal((self.cleaned_data.get(name) or "").strip())
        except InvalidOperation:
            return None
        return value if value.is_finite() else None

    def clean_geo_lat(self) -> Decimal | None:
        return self._decimal("geo_lat")

    def clean_geo_lng(self) -> Decimal | None:
        return self._decimal("geo_lng")

    def clean_geo_accuracy_m(self) -> int | None:
        value = self._decimal("geo_accuracy_m")
        return int(value) if value is not None and 0 <= value < 10**6 else None

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visited_on"].widget.attrs["max"] = today.isoformat()
        if not self.is_bound:
            self.initial.setdefault("visited_on", today)
            self.initial.setdefault("client_token", uuid.uuid4())


class FindingTransitionForm(forms.Form):
    to_status = forms.ChoiceField(
        label=_("处理"), choices=[(FindingStatus.IN_PROGRESS, _("开始处理")), (FindingStatus.CLOSED, _("办结"))]
    )
    note = forms.CharField(label=_("办结情况 / 处理说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class PauseForm(forms.Form):
    kind = forms.ChoiceField(label=_("暂停原因类别"), choices=PauseKind.choices)
    starts_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ends_on = forms.DateField(label=_("结束日期"), widget=DATE, required=False, help_text=_("尚未结束可不填"))
    reason = forms.CharField(label=_("情况说明"), max_length=200)


class PauseEndForm(forms.Form):
    ends_on = forms.DateField(label=_("结束日期"), widget=DATE)


class SpecialPeriodForm(forms.Form):
    area = forms.ModelChoiceField(label=_("区划"), queryset=Area.objects.none())
    kind = forms.ChoiceField(label=_("类型"), choices=SpecialPeriodKind.choices)
    starts_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ends_on = forms.DateField(label=_("结束日期"), widget=DATE)
    reason = forms.CharField(label=_("说明"), max_length=200)

    def __init__(self, *args, areas, area_list=None, **kwargs):
        """`areas` validates a submitted choice; `area_list`, the same areas already read (the
        desk has them), lists the options without reading them again."""
        super().__init__(*args, **kwargs)
        field = self.fields["area"]
        field.queryset = areas
        if area_list is not None:
            field.choices = [("", field.empty_label),
                             *((field.prepare_value(a), field.label_from_instance(a)) for a in area_list)]


class PolicyForm(forms.Form):
    county = forms.ModelChoiceField(label=_("县(市)"), queryset=Area.objects.filter(level=AreaLevel.COUNTY))
    tier = forms.ChoiceField(label=_("类别"), choices=Tier.choices)
    interval_days = forms.IntegerField(label=_("走访间隔(天)"), min_value=1, max_value=92)
    monthly_minimum = forms.IntegerField(label=_("每月最低走访次数"), min_value=0, max_value=31)
    effective_on = forms.DateField(label=_("生效日期"), widget=DATE)
    reason = forms.CharField(label=_("调整理由"), max_length=200)


class LongSelect(forms.Select):
    """A Select whose options are written by one format string each rather than a template per
    option: the desk's ledger form lists every county and township of a prefecture (hundreds;
    ~0.1 ms an option through Django's widget templates, issue 25). Same markup; no optgroups."""

    def render(self, name, value, attrs=None, renderer=None):
        final = {**self.build_attrs(self.attrs, attrs), "name": name}
        chosen = {str(v) for v in self.format_value(value)}
        options = format_html_join("", '<option value="{}"{}>{}</option>', (
            (str(v), mark_safe(" selected") if str(v) in chosen else "", label)  # noqa: S308 — a constant
            for v, label in self.choices))
        return format_html("<select{}>{}</select>", flatatt(final), options)


class AreaMonthForm(forms.Form):
    area = forms.ModelChoiceField(label=_("区划"), queryset=Area.objects.none(), widget=LongSelect)
    month = forms.CharField(label=_("月份"), widget=forms.DateInput(attrs={"type": "month"}))

    def __init__(self, *args, areas, area_list=None, **kwargs):
        """`areas` validates a submitted choice; `area_list`, the same areas already read (the
        desk has them), lists the options without reading them again."""
        super().__init__(*args, **kwargs)
        field = self.fields["area"]
        field.queryset = areas
        if area_list is not None:
            field.choices = [("", field.empty_label),
                             *((field.prepare_value(a), field.label_from_instance(a)) for a in area_list)]

    def clean_month(self) -> dt.date:
        try:
            return dt.datetime.strptime(self.cleaned_data["month"], "%Y-%m").date()
        except ValueError as exc:
            raise forms.ValidationError(_("请按“年-月”填写月份，如 2026-06。")) from exc


class ImportForm(forms.Form):
    file = forms.FileField(label=_("纸质台账文件（xlsx 或 csv）"))

    def clean_file(self):
        from accounts.sheets import check_upload

        f = self.cleaned_data["file"]
        if not f.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("只支持.xlsx或.csv文件。"))
        check_upload(f)  # the one limit of every import: size, unpacked size, rows
        return f

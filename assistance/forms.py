"""Forms of assistance and emergencies. Amounts are typed in yuan and cleaned to integer fen."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from custody.forms import YuanField

from .models import (
    AidKind,
    AppraisalGrade,
    AssistanceKind,
    ContributionKind,
    EmergencyKind,
    HousingStatus,
    PaymentChannel,
    RollCallStatus,
)


class OptionalYuanField(YuanField):
    """A yuan amount that may be left empty (cleaned to None)."""

    def __init__(self, **kwargs):
        kwargs["required"] = False
        super().__init__(**kwargs)

    def clean(self, value):
        if value in (None, "") or not str(value).strip():
            return None
        return super().clean(value)


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _named_household(h) -> str:
    """营上村 · 杨秀英（DEMO-000004）: the choice lists annotate the head's name (no query per option)."""
    return f"{h.village.short_name} · {getattr(h, 'head_name', None) or _('（无户主）')}（{h.code}）"


class HouseholdChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        head = getattr(obj, "head_name", None) or obj.code
        return f"{obj.village.short_name} · {head}（{obj.code}，{obj.get_tier_display() or '—'}类）"


class ApplicationForm(forms.Form):
    household = HouseholdChoiceField(label=_("家庭"), queryset=None)
    kind = forms.ChoiceField(label=_("救助类型"), choices=AssistanceKind.choices)
    amount_fen = YuanField(label=_("申请金额(元)"))
    reasons = forms.CharField(label=_("申请事由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    attachment = forms.FileField(label=_("附件(申请书、证明材料)"), required=False)
    one_case_decision = forms.ModelChoiceField(label=_("关联一事一议"), queryset=None, required=False)
    referral = forms.ModelChoiceField(label=_("来源转介"), queryset=None, required=False)

    def __init__(self, *args, households, decisions, referrals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = households
        self.fields["one_case_decision"].queryset = decisions
        self.fields["referral"].queryset = referrals


class AmountNoteForm(forms.Form):
    approved_amount_fen = OptionalYuanField(label=_("核定金额(元)"),
                                    help_text=_("不填则按申请金额。"))
    note = forms.CharField(label=_("意见"), required=False, max_length=500,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def clean_approved_amount_fen(self):
        value = self.cleaned_data.get("approved_amount_fen")
        return value or None


class RejectForm(forms.Form):
    note = forms.CharField(label=_("不予救助理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class PayForm(forms.Form):
    paid_on = forms.DateField(label=_("发放日期"), widget=DATE)
    channel = forms.ChoiceField(label=_("发放方式"), choices=PaymentChannel.choices)
    note = forms.CharField(label=_("摘要"), required=False, max_length=200)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("paid_on", timezone.localdate())
        super().__init__(*args, **kwargs)


class ReviewForm(forms.Form):
    agreed = forms.TypedChoiceField(label=_("复核结果"), choices=[("1", _("同意")), ("0", _("不同意"))],
                                    coerce=lambda v: v == "1", widget=forms.RadioSelect)
    note = forms.CharField(label=_("复核意见"), required=False, max_length=500,
                           widget=forms.Textarea(attrs={"rows": 2}))


class PolicyForm(forms.Form):
    township_limit_fen = YuanField(label=_("乡镇审批限额(元)"),
                                   help_text=_("不超过此金额的申请，乡镇审核同意即可发放；超过的报县级审批。"))
    fast_track_limit_fen = YuanField(label=_("先行救助限额(元)"),
                                     help_text=_("急难型、临时救助不超过此金额时，乡镇可先行发放，县级事后复核。"))


class AllocateForm(forms.Form):
    amount_fen = YuanField(label=_("拨入金额(元)"))
    entry_date = forms.DateField(label=_("拨入日期"), widget=DATE)
    note = forms.CharField(label=_("摘要"), max_length=200, required=False)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("冲正原因"), max_length=150)


class EmergencyForm(forms.Form):
    kind = forms.ChoiceField(label=_("事件类型"), choices=EmergencyKind.choices)
    title = forms.CharField(label=_("事件名称"), max_length=100)
    areas = forms.ModelMultipleChoiceField(label=_("受影响的乡镇(街道)"), queryset=None,
                                           widget=forms.CheckboxSelectMultiple)
    starts_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ends_on = forms.DateField(label=_("结束日期"), widget=DATE, required=False,
                              help_text=_("事件仍在持续可不填。"))
    special_period = forms.BooleanField(label=_("同时宣布为特殊时期（电话、视频走访计入有效走访）"), required=False)
    description = forms.CharField(label=_("情况说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["areas"].queryset = areas


class RollCallForm(forms.Form):
    household = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("核查结果"), choices=RollCallStatus.choices)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)
    client_token = forms.UUIDField(required=False)
    checked_at = forms.DateTimeField(required=False)


class ReliefForm(forms.Form):
    household = forms.ModelChoiceField(label=_("家庭"), queryset=None)
    given_on = forms.DateField(label=_("发放日期"), widget=DATE)
    items = forms.CharField(label=_("救助物资/内容"), max_length=200)
    amount_fen = OptionalYuanField(label=_("折合金额(元)"))

    def __init__(self, *args, households, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("given_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = households
        self.fields["household"].label_from_instance = _named_household

    def clean_amount_fen(self):
        return self.cleaned_data.get("amount_fen") or 0


class HousingReportForm(forms.Form):
    household = forms.IntegerField(widget=forms.HiddenInput)
    visit = forms.IntegerField(widget=forms.HiddenInput, required=False)


class HousingUpdateForm(forms.Form):
    grade = forms.ChoiceField(label=_("鉴定等级"), choices=AppraisalGrade.choices, required=False)
    appraised_on = forms.DateField(label=_("鉴定日期"), widget=DATE, required=False)
    status = forms.ChoiceField(label=_("状态"), choices=HousingStatus.choices)
    renovation_year = forms.IntegerField(label=_("改造年度"), required=False, min_value=2000, max_value=2100)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class AidForm(forms.Form):
    person = forms.ModelChoiceField(label=_("对象"), queryset=None)
    kind = forms.ChoiceField(label=_("帮扶类型"), choices=AidKind.choices)
    received_on = forms.DateField(label=_("日期"), widget=DATE)
    amount_fen = OptionalYuanField(label=_("金额(元)"))
    provider = forms.CharField(label=_("实施单位"), max_length=100)
    detail = forms.CharField(label=_("内容"), max_length=200)

    def __init__(self, *args, people, kinds, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("received_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people
        self.fields["person"].label_from_instance = lambda p: f"{p.household.village.short_name} · {p.name}（{p.household.code}）"
        self.fields["kind"].choices = [(k, v) for k, v in AidKind.choices if k in kinds]

    def clean_amount_fen(self):
        return self.cleaned_data.get("amount_fen") or 0


class ContributionForm(forms.Form):
    household = forms.ModelChoiceField(label=_("家庭"), queryset=None)
    kind = forms.ChoiceField(label=_("类型"), choices=ContributionKind.choices)
    given_by = forms.CharField(label=_("捐赠方/志愿者"), max_length=100)
    provider = forms.ModelChoiceField(label=_("社会服务资源(可选)"), queryset=None, required=False)
    on = forms.DateField(label=_("日期"), widget=DATE)
    description = forms.CharField(label=_("内容"), max_length=200)
    value_fen = OptionalYuanField(label=_("折合金额(元)"))
    hours = forms.IntegerField(label=_("服务时长(小时)"), min_value=0, required=False)

    def __init__(self, *args, households, providers, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = households
        self.fields["household"].label_from_instance = _named_household
        self.fields["provider"].queryset = providers

    def clean_value_fen(self):
        return self.cleaned_data.get("value_fen") or 0

    def clean_hours(self):
        return self.cleaned_data.get("hours") or 0

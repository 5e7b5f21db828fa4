from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from . import rules
from .models import HelpKind, SignalKind, VerificationOutcome


class HelpRequestForm(forms.Form):
    kinds = forms.MultipleChoiceField(label=_("需要什么帮助（可多选）"), choices=HelpKind.choices,
                                      widget=forms.CheckboxSelectMultiple,
                                      error_messages={"required": _("请至少选择一项需要的帮助。")})
    text = forms.CharField(label=_("说明（可不填）"), max_length=300, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))
    callback_phone = forms.RegexField(label=_("回拨电话（可不填）"), regex=r"^1\d{10}$|^0\d{2,3}-?\d{7,8}$",
                                      required=False, max_length=20,
                                      error_messages={"invalid": _("请填写11位手机号或带区号的固定电话。")},
                                      widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))


class VerifyForm(forms.Form):
    outcome = forms.ChoiceField(label=_("核查结果"), choices=VerificationOutcome.choices, widget=forms.RadioSelect)
    reason = forms.CharField(label=_("核查说明"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))
    follow_up = forms.CharField(label=_("后续帮扶"), max_length=200, required=False,
                                help_text=_("已核实并帮扶时必填：随后的转介、救助申请或走访"))


class CloseHelpForm(forms.Form):
    outcome = forms.CharField(label=_("做了什么"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class WarningPolicyForm(forms.Form):
    """A county's weights (one field per signal kind, the default shown) and thresholds."""

    attention_at = forms.IntegerField(label=_("关注阈值"), min_value=1, max_value=1000)
    warning_at = forms.IntegerField(label=_("预警阈值"), min_value=1, max_value=1000)
    urgent_at = forms.IntegerField(label=_("紧急阈值"), min_value=1, max_value=1000)
    window_days = forms.IntegerField(label=_("信号有效天数"), min_value=1, max_value=365)
    effective_on = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("调整理由"), max_length=200)

    def __init__(self, *args, policy: rules.Policy, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in SignalKind:
            self.fields[f"w_{kind.value}"] = forms.IntegerField(
                label=kind.label, min_value=0, max_value=1000, initial=policy.weight(kind.value),
                help_text=_("默认 %(n)d") % {"n": rules.DEFAULT_WEIGHTS.get(kind.value, 0)})
        for name in ("attention_at", "warning_at", "urgent_at", "window_days"):
            self.fields[name].initial = getattr(policy, name)

    def weight_fields(self):
        return [self[f"w_{k.value}"] for k in SignalKind]

    def weights(self) -> dict[str, int]:
        return {k.value: self.cleaned_data[f"w_{k.value}"] for k in SignalKind}

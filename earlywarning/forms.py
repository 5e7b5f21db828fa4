from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import HelpKind, VerificationOutcome


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

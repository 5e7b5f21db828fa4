"""Forms of fund custody: input only. The rules live in custody.rules and custody.actions."""

from __future__ import annotations

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from beneficiaries.idnumber import normalize, parse

from . import rules
from .models import (
    MINUTES_EXTENSIONS,
    PHOTO_EXTENSIONS,
    CheckResult,
    DutyRole,
    EvaluationResult,
    FundType,
    Purpose,
    SampleResult,
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class YuanField(forms.CharField):
    """An amount typed in yuan ("123.45"), cleaned to integer fen — never a float."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("金额(元)"))
        kwargs.setdefault("max_length", 16)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def clean(self, value):
        text = super().clean(value)
        try:
            fen = rules.parse_yuan(text)
        except ValueError:
            raise ValidationError(_("请输入正确的金额，例如 350 或 350.50（最多两位小数）。")) from None
        if fen <= 0:
            raise ValidationError(_("金额必须大于0。"))
        return fen


class IdNumberField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("身份证号"))
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)

    def clean(self, value):
        number = normalize(super().clean(value))
        parse(number)
        return number


class PostingForm(forms.Form):
    """Every ledger form carries an idempotency key, generated when the form is first shown and
    kept through re-display, so a form submitted twice posts once."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4())


class AccountOpenForm(forms.Form):
    person = forms.ModelChoiceField(queryset=None, label=_("代管对象"), empty_label=_("请选择"))
    opened_on = forms.DateField(label=_("开户日期"), widget=DateInput())
    reason = forms.CharField(label=_("开户原因"), widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("例如：无民事行为能力，无监护人；或监护人长期外出务工不能履行职责。"))

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people
        self.fields["person"].label_from_instance = lambda p: (
            f"{p.name}（{p.household.village.short_name} · {p.household.code} · {p.household.tier}类 · "
            f"{p.get_civil_capacity_display()}民事行为能力）"
        )


class AccountCloseForm(forms.Form):
    closed_on = forms.DateField(label=_("销户日期"), widget=DateInput())
    reason = forms.CharField(label=_("销户原因"), widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("写明余额的去向，例如：余额已交由新指定的监护人。"))


class MeetingForm(forms.Form):
    village = forms.ModelChoiceField(queryset=None, label=_("村(居)"), empty_label=None)
    held_on = forms.DateField(label=_("会议日期"), widget=DateInput())
    attendance = forms.IntegerField(label=_("到会人数"), min_value=1)
    attendees = forms.CharField(label=_("参会人员"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    resolution = forms.CharField(label=_("会议决议"), widget=forms.Textarea(attrs={"rows": 3}))
    minutes = forms.FileField(label=_("会议记录(文件)"),
                              help_text=_("会议记录的照片或扫描件：%(ext)s") % {"ext": ", ".join(MINUTES_EXTENSIONS)})

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
        self.fields["village"].label_from_instance = lambda a: a.short_name


class CustodianForm(forms.Form):
    account = forms.ModelChoiceField(queryset=None, label=_("代管对象"), empty_label=_("请选择"))
    name = forms.CharField(label=_("代管人姓名"), max_length=50)
    id_number = IdNumberField()
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    is_party_member = forms.BooleanField(label=_("党员"), required=False)
    is_village_elder = forms.BooleanField(label=_("寨老"), required=False)
    is_committee_head = forms.BooleanField(label=_("现任村(居)两委负责人"), required=False)
    legal_procedure = forms.CharField(label=_("已履行的法律程序(对象为未成年人时必填)"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 2}))
    child_wishes = forms.CharField(label=_("儿童本人意愿(对象为未成年人时必填)"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 2}))
    started_on = forms.DateField(label=_("任职日期"), widget=DateInput())

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts
        self.fields["account"].label_from_instance = lambda a: f"{a.person.name}（{a.person.household.code}）"

    def candidate(self) -> rules.CustodianCandidate:
        d = self.cleaned_data
        return rules.CustodianCandidate(
            name=d["name"], id_number=d["id_number"], is_party_member=d["is_party_member"],
            is_village_elder=d["is_village_elder"], is_committee_head=d["is_committee_head"],
            legal_procedure=d["legal_procedure"], child_wishes=d["child_wishes"],
        )


class CaregiverForm(forms.Form):
    name = forms.CharField(label=_("照料护理人姓名"), max_length=50)
    id_number = IdNumberField()
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    relation = forms.CharField(label=_("与对象关系"), max_length=50, required=False)
    started_on = forms.DateField(label=_("开始日期"), widget=DateInput())


class DepositForm(PostingForm):
    amount = YuanField()
    fund_type = forms.ChoiceField(label=_("资金类型"), choices=FundType.choices)
    entry_date = forms.DateField(label=_("存入日期"), widget=DateInput())
    note = forms.CharField(label=_("摘要"), max_length=200, required=False)


class WithdrawalForm(PostingForm):
    amount = YuanField()
    purpose = forms.ChoiceField(label=_("用途"), choices=Purpose.choices)
    entry_date = forms.DateField(label=_("支取日期"), widget=DateInput())
    receipt_number = forms.CharField(label=_("票据号"), max_length=60, required=False,
                                     help_text=_("既无票据号又无票据照片的支取会被标记为异常。"))
    receipt_photo = forms.FileField(label=_("票据照片"), required=False,
                                    widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}))
    note = forms.CharField(label=_("摘要"), max_length=200, required=False)

    def clean_receipt_photo(self):
        photo = self.cleaned_data.get("receipt_photo")
        if photo and photo.name.rsplit(".", 1)[-1].lower() not in PHOTO_EXTENSIONS:
            raise ValidationError(_("票据照片须为图片或PDF文件（%(ext)s）。") % {"ext": ", ".join(PHOTO_EXTENSIONS)})
        return photo


class ReverseForm(PostingForm):
    reason = forms.CharField(label=_("冲正原因"), max_length=150)
    entry_date = forms.DateField(label=_("冲正日期"), widget=DateInput())


class CheckForm(forms.Form):
    period_start = forms.DateField(label=_("检查期间起"), widget=DateInput())
    period_end = forms.DateField(label=_("检查期间止"), widget=DateInput())
    result = forms.ChoiceField(label=_("检查结果"), choices=CheckResult.choices, widget=forms.RadioSelect)
    issues = forms.CharField(label=_("发现问题"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    sign = forms.BooleanField(label=_("本人已逐笔核对收支台账，签字确认"),
                              error_messages={"required": _("请勾选签字确认。")})


class EvaluationForm(forms.Form):
    role = forms.ChoiceField(label=_("评估对象"), choices=DutyRole.choices)
    result = forms.ChoiceField(label=_("评估结果"), choices=EvaluationResult.choices, widget=forms.RadioSelect)
    notes = forms.CharField(label=_("评估意见"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class SpotCheckForm(forms.Form):
    area = forms.ModelChoiceField(queryset=None, label=_("抽查区域"), empty_label=None)
    percent = forms.IntegerField(label=_("抽查比例(%)"), min_value=1, max_value=100, initial=10)
    seed = forms.IntegerField(label=_("抽样复现码(一般不填)"), required=False, min_value=0, max_value=2**62,
                              help_text=_("不填则由系统随机抽取并记下复现码；需要复核时填入原抽查的复现码，可抽出同一批账户。"))
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        self.fields["area"].label_from_instance = lambda a: f"{a.name}（{a.get_level_display()}）"


class FindingForm(forms.Form):
    result = forms.ChoiceField(label=_("抽查结果"), widget=forms.RadioSelect,
                               choices=[c for c in SampleResult.choices if c[0] != SampleResult.PENDING])
    finding = forms.CharField(label=_("抽查发现"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PolicyForm(forms.Form):
    county = forms.ModelChoiceField(queryset=None, label=_("县(市)"), empty_label=None)
    ceiling = YuanField(label=_("余额上限(元)"))

    def __init__(self, *args, counties, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = counties

"""Forms of campaigns: input only (the rules are in campaigns.actions)."""

from __future__ import annotations

import datetime as dt
import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Area
from beneficiaries.models import Tier

from .models import Assessor, CampaignKind, HeatingSource, Item, NeedSource, WaterSource

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
YES_NO = [("1", _("是")), ("0", _("否"))]


def _yes_no(label, required=False):
    return forms.TypedChoiceField(label=label, choices=YES_NO, required=required, widget=forms.RadioSelect,
                                  coerce=lambda v: v == "1", empty_value=None)


class CampaignForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=CampaignKind.choices, widget=forms.RadioSelect,
                             initial=CampaignKind.WINTER)
    name = forms.CharField(label=_("名称"), max_length=100)
    area = forms.ModelChoiceField(label=_("部署区划"), queryset=Area.objects.none())
    areas = forms.ModelMultipleChoiceField(label=_("实施乡镇（不选即全域）"), queryset=Area.objects.none(), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    starts_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ends_on = forms.DateField(label=_("结束日期"), widget=DATE)
    assess_by = forms.DateField(label=_("评估截止日期"), widget=DATE)
    tiers = forms.MultipleChoiceField(label=_("纳入类别（全部家庭）"), choices=Tier.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple)
    limited_mobility_tiers = forms.MultipleChoiceField(
        label=_("纳入类别（仅有行动不便成员的家庭）"), choices=Tier.choices, required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("行动不便：失能、半失能，或肢体、视力、多重一至二级残疾"))
    assessor = forms.ChoiceField(label=_("评估人"), choices=Assessor.choices, initial=Assessor.CADRE)
    water_every_days = forms.IntegerField(label=_("送水间隔(天)"), min_value=1, max_value=60, required=False,
                                          help_text=_("季节性缺水行动必填"))
    questions = forms.CharField(label=_("评估问题（其他专项行动，每行一条）"), required=False,
                                widget=forms.Textarea(attrs={"rows": 3}))
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, areas, townships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        self.fields["areas"].queryset = townships

    def clean_questions(self) -> list[str]:
        return [q.strip()[:60] for q in self.cleaned_data["questions"].splitlines() if q.strip()]


class CampaignEditForm(CampaignForm):
    """What the declaring county or prefecture may correct before the campaign ends (the kind,
    the declaring area, the assessor and the questions stay)."""

    def __init__(self, *args, campaign, townships, **kwargs):
        super().__init__(*args, areas=Area.objects.none(), townships=townships, **kwargs)
        for name in ("kind", "area", "assessor", "questions"):
            del self.fields[name]
        if campaign.kind != CampaignKind.WATER:
            del self.fields["water_every_days"]


class CloseForm(forms.Form):
    reason = forms.CharField(label=_("提前结束原因"), max_length=200)


class AssessmentForm(forms.Form):
    """A campaign's questions. In the visit form each campaign's fields carry the prefix
    `campaign-<row id>` so several campaigns can be answered in one visit."""

    grain_short_days = forms.IntegerField(label=_("口粮缺口(天)"), min_value=0, max_value=365, required=False,
                                          help_text=_("不缺填 0"))
    clothing_sets = forms.IntegerField(label=_("需要衣被(套)"), min_value=0, max_value=20, required=False)
    heating_source = forms.ChoiceField(label=_("取暖方式"), choices=[("", "—")] + HeatingSource.choices, required=False)
    heating_enough = _yes_no(_("取暖是否足够"))
    water_source = forms.ChoiceField(label=_("水源"), choices=[("", "—")] + WaterSource.choices, required=False)
    water_days_left = forms.IntegerField(label=_("存水还能用(天)"), min_value=0, max_value=365, required=False)
    can_fetch_water = _yes_no(_("能否自行取水"))
    note = forms.CharField(label=_("评估说明"), max_length=200, required=False)

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        from . import rules

        keep = set(rules.question_fields(campaign.kind)) | {"note"}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        for i, question in enumerate(campaign.questions):
            self.fields[f"q{i}"] = forms.CharField(label=question, max_length=200, required=False)
        self.campaign = campaign

    def answers(self) -> dict:
        return {q: self.cleaned_data.get(f"q{i}", "") for i, q in enumerate(self.campaign.questions)}


def assessment_initial(row) -> dict:
    """A household's stored answers as the assessment form's initial values (yes/no as "1"/"0")."""
    from . import rules

    values = {f: getattr(row, f) for f in (*rules.question_fields(row.campaign.kind), "note")}
    values = {k: ("1" if v else "0") if isinstance(v, bool) else v for k, v in values.items()}
    return values | {f"q{i}": row.answers.get(q, "") for i, q in enumerate(row.campaign.questions)}


class NeedAddForm(forms.Form):
    item = forms.ChoiceField(label=_("物资"), choices=Item.choices)
    quantity = forms.IntegerField(label=_("数量"), min_value=1, max_value=100000)
    source = forms.ChoiceField(label=_("来源"), choices=NeedSource.choices)


class DeliveryForm(forms.Form):
    client_token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    quantity = forms.IntegerField(label=_("发放数量"), min_value=1, max_value=100000)
    delivered_on = forms.DateField(label=_("发放日期"), widget=DATE)
    received_by = forms.CharField(label=_("领取人"), max_length=50)
    photo = forms.ImageField(label=_("发放照片"), required=False,
                             widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}))
    signature = forms.ImageField(label=_("领取人签名"), required=False,
                                 widget=forms.FileInput(attrs={"hidden": True, "accept": "image/png"}))
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["delivered_on"].widget.attrs["max"] = today.isoformat()
        if not self.is_bound:
            self.initial.setdefault("delivered_on", today)
            self.initial.setdefault("client_token", uuid.uuid4())


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("冲正原因"), max_length=200)


class WaterDeliveryForm(forms.Form):
    client_token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    delivered_on = forms.DateField(label=_("送水日期"), widget=DATE)
    litres = forms.IntegerField(label=_("水量(升)"), min_value=1, max_value=100000)
    delivered_by = forms.CharField(label=_("送水人"), max_length=50)
    received_by = forms.CharField(label=_("接收人"), max_length=50, required=False)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class StockReceiveForm(forms.Form):
    area = forms.ModelChoiceField(label=_("保管区划"), queryset=Area.objects.none())
    item = forms.ChoiceField(label=_("物资"), choices=Item.choices)
    quantity = forms.IntegerField(label=_("入库数量"), min_value=1, max_value=10**7)
    occurred_on = forms.DateField(label=_("入库日期"), widget=DATE)
    source = forms.ChoiceField(label=_("来源"), choices=[(NeedSource.STOCK, NeedSource.STOCK.label),
                                                        (NeedSource.RESERVE_FUND, NeedSource.RESERVE_FUND.label)])
    note = forms.CharField(label=_("摘要"), max_length=200, required=False)

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas


class DonationForm(forms.Form):
    area = forms.ModelChoiceField(label=_("接收区划"), queryset=Area.objects.none())
    donor = forms.CharField(label=_("捐赠方"), max_length=100)
    received_on = forms.DateField(label=_("接收日期"), widget=DATE)
    item = forms.ChoiceField(label=_("捐赠物资"), choices=[("", "—")] + Item.choices, required=False)
    quantity = forms.IntegerField(label=_("物资数量"), min_value=0, max_value=10**7, required=False)
    amount_yuan = forms.DecimalField(label=_("捐赠金额(元)"), min_value=0, max_digits=12, decimal_places=2,
                                     required=False)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas

    def amount_fen(self) -> int:
        yuan = self.cleaned_data.get("amount_yuan")
        return int(yuan * 100) if yuan else 0

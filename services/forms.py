from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Area, Department
from beneficiaries.models import Person

from .models import (
    Field,
    ProviderKind,
    Referral,
    ReferralStatus,
    ServiceKind,
    ServiceProvider,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReferralForm(forms.Form):
    field = forms.ModelChoiceField(label=_("帮扶领域"), queryset=Field.objects.select_related("route_to"),
                                   empty_label=_("请选择"))
    department = forms.ModelChoiceField(
        label=_("受理部门"), queryset=Department.objects.order_by("name"), required=False,
        empty_label=_("按领域自动分派"), help_text=_("不选则转给该领域的牵头单位；如需改派请选择部门。"),
    )
    person = forms.ModelChoiceField(label=_("涉及成员"), queryset=Person.objects.none(), required=False,
                                    empty_label=_("户主"))
    problem = forms.CharField(label=_("困难和诉求"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    contact = forms.CharField(label=_("联系电话"), max_length=20, required=False,
                              help_text=_("不填则使用该成员或户主登记的电话。"))
    urgent = forms.BooleanField(label=_("急难（24小时内办理）"), required=False)

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.filter(household=household).order_by("id")
        self.fields["field"].label_from_instance = lambda f: f"{f.number}. {f.name}（{f.route_to.name}）"


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("办理"), choices=[
        (ReferralStatus.ACCEPTED, _("受理")),
        (ReferralStatus.IN_PROGRESS, _("开始办理")),
        (ReferralStatus.RESOLVED, _("办结")),
        (ReferralStatus.DECLINED, _("不予受理")),
    ])
    note = forms.CharField(label=_("办理结果 / 理由 / 说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                           max_length=2000)

    def __init__(self, *args, referral: Referral, **kwargs):
        super().__init__(*args, **kwargs)
        from .rules import TRANSITIONS

        allowed = TRANSITIONS.get(referral.status, {})
        self.fields["to_status"].choices = [c for c in self.fields["to_status"].choices if c[0] in allowed]

    def moves(self) -> dict[str, bool]:
        """The explicit buttons the liaison gets (受理, 开始办理, 办结, 不予受理): the allowed moves
        by name, for the template."""
        allowed = {value for value, _label in self.fields["to_status"].choices}
        return {str(status): status in allowed for status in (
            ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS, ReferralStatus.RESOLVED, ReferralStatus.DECLINED)}

    @property
    def posted_status(self) -> str:
        return self.data.get("to_status", "") if self.is_bound else ""


class NoteForm(forms.Form):
    note = forms.CharField(label=_("进展情况"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class MatchForm(forms.Form):
    provider = forms.ModelChoiceField(label=_("服务资源"), queryset=ServiceProvider.objects.none())

    def __init__(self, *args, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers


class ReferralFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), required=False,
                               choices=[("open", _("未办结")), ("", _("全部"))] + list(ReferralStatus.choices))
    department = forms.ModelChoiceField(label=_("部门"), queryset=Department.objects.order_by("name"),
                                        required=False, empty_label=_("全部部门"))
    field = forms.ModelChoiceField(label=_("领域"), queryset=Field.objects.all(), required=False,
                                   empty_label=_("全部领域"))
    overdue = forms.BooleanField(label=_("仅超期"), required=False)
    escalated = forms.BooleanField(label=_("仅已上报"), required=False)


class CaseConferenceForm(forms.Form):
    held_on = forms.DateField(label=_("会商日期"), widget=DATE)
    topic = forms.CharField(label=_("会商事项"), max_length=200)
    participants = forms.CharField(label=_("参会单位和人员"), widget=forms.Textarea(attrs={"rows": 2}))
    decision = forms.CharField(label=_("会商意见"), widget=forms.Textarea(attrs={"rows": 3}))
    referral = forms.ModelChoiceField(label=_("相关转介"), queryset=Referral.objects.none(), required=False)

    def __init__(self, *args, referrals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referral"].queryset = referrals


class OneCaseDecisionForm(forms.Form):
    decided_on = forms.DateField(label=_("议定日期"), widget=DATE)
    matter = forms.CharField(label=_("议定事项"), widget=forms.Textarea(attrs={"rows": 2}))
    decision = forms.CharField(label=_("议定结果"), widget=forms.Textarea(attrs={"rows": 3}))
    amount_yuan = forms.DecimalField(label=_("救助金额(元)"), required=False, min_value=0, max_digits=12,
                                     decimal_places=2)
    approved_by = forms.CharField(label=_("审批人"), max_length=100)
    referral = forms.ModelChoiceField(label=_("相关转介"), queryset=Referral.objects.none(), required=False)

    def __init__(self, *args, referrals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referral"].queryset = referrals

    def amount_fen(self) -> int | None:
        yuan = self.cleaned_data.get("amount_yuan")
        return None if yuan is None else int(yuan * 100)


class ProviderForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=ProviderKind.choices)
    services = forms.MultipleChoiceField(label=_("提供服务"), choices=ServiceKind.choices,
                                         widget=forms.CheckboxSelectMultiple)
    areas = forms.ModelMultipleChoiceField(label=_("服务区域"), queryset=Area.objects.none(),
                                           help_text=_("选择县(市)或乡镇即服务其下所有村(居)。"))
    owner_area = forms.ModelChoiceField(label=_("登记单位所在区划"), queryset=Area.objects.none())
    contact_name = forms.CharField(label=_("联系人"), max_length=50, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    note = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    active = forms.BooleanField(label=_("在用"), required=False, initial=True)

    def __init__(self, *args, areas, owner_areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["areas"].queryset = areas
        self.fields["owner_area"].queryset = owner_areas


class FieldSettingForm(forms.Form):
    route_to = forms.ModelChoiceField(label=_("默认受理部门"), queryset=Department.objects.order_by("name"))
    deadline_days = forms.IntegerField(label=_("办理时限(工作日)"), min_value=1, max_value=60)

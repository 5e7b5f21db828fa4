"""Forms of the oversight pages. They parse input; the actions decide (and their ValidationErrors
are put back on the form, so nothing typed is lost)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Area, User

from .assessment import INDICATORS
from .models import CheckMethod

YES_NO = [("", _("请选择")), ("yes", _("是")), ("no", _("否"))]
YES_NO_NA = [("", _("不适用")), ("yes", _("是")), ("no", _("否"))]


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errs in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errs)
    else:
        form.add_error(None, exc.messages)


def yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class MonthField(forms.CharField):
    def to_python(self, value):
        import datetime as dt

        value = super().to_python(value)
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value[:7] + "-01")
        except ValueError as exc:
            raise ValidationError(_("月份格式应为 年-月（如 2026-05）。")) from exc


class DrawForm(forms.Form):
    area = forms.ModelChoiceField(Area.objects.none(), label=_("抽查区划"))
    month = MonthField(label=_("走访月份"), widget=forms.TextInput(attrs={"type": "month"}))
    per_cadre = forms.IntegerField(label=_("每名干部抽查条数"), min_value=1, max_value=20, initial=2)
    seed = forms.IntegerField(label=_("随机种子"), required=False, min_value=1,
                              help_text=_("留空由系统生成并记录；填写已记录的种子可复现同一样本。"))

    def __init__(self, *args, areas=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas if areas is not None else Area.objects.none()


class SpotCheckForm(forms.Form):
    method = forms.ChoiceField(label=_("回访方式"), choices=[("", _("请选择")), *CheckMethod.choices])
    checked_on = forms.DateField(label=_("回访日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    date_confirmed = forms.ChoiceField(label=_("走访日期属实"), choices=YES_NO)
    person_confirmed = forms.ChoiceField(label=_("见到的人属实"), choices=YES_NO)
    checklist_plausible = forms.ChoiceField(label=_("记录内容可信（健康、生活、安全等情况与实际相符）"), choices=YES_NO)
    location_plausible = forms.ChoiceField(label=_("定位与录入时间合理"), choices=YES_NO_NA, required=False)
    note = forms.CharField(label=_("回访情况"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                           help_text=_("有不属实项时必填，将作为问题登记并限期整改。"))

    def __init__(self, *args, has_capture: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("date_confirmed", "person_confirmed", "checklist_plausible"):
            self.fields[name].required = True
        if not has_capture:
            del self.fields["location_plausible"]
        else:
            self.fields["location_plausible"].choices = YES_NO
            self.fields["location_plausible"].required = True


class FollowUpForm(forms.Form):
    note = forms.CharField(label=_("整改情况"), widget=forms.Textarea(attrs={"rows": 3}))
    closes = forms.BooleanField(label=_("整改已完成"), required=False)


class InspectionPlanForm(forms.Form):
    title = forms.CharField(label=_("检查名称"), max_length=100)
    year = forms.IntegerField(label=_("年度"), min_value=2020, max_value=2100)
    half = forms.TypedChoiceField(label=_("半年"), coerce=int, choices=[(1, _("上半年")), (2, _("下半年"))])
    starts_on = forms.DateField(label=_("检查开始日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    townships = forms.ModelMultipleChoiceField(Area.objects.none(), label=_("被检查乡镇(街道)"),
                                               widget=forms.SelectMultiple(attrs={"size": 8}))
    team = forms.ModelMultipleChoiceField(User.objects.none(), label=_("检查组成员（系统用户）"), required=False,
                                          widget=forms.SelectMultiple(attrs={"size": 5}))
    team_note = forms.CharField(label=_("检查组其他成员"), max_length=200, required=False)
    sample_size = forms.IntegerField(label=_("每乡镇抽查户数"), min_value=1, max_value=100, initial=10)

    def __init__(self, *args, townships=None, team=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["townships"].queryset = townships if townships is not None else Area.objects.none()
        self.fields["team"].queryset = team if team is not None else User.objects.none()


class InspectionCheckForm(forms.Form):
    visits_meet_minimum = forms.ChoiceField(label=_("走访次数达到最低要求"), choices=YES_NO)
    records_true = forms.ChoiceField(label=_("走访记录真实可信"), choices=YES_NO)
    findings_closed = forms.ChoiceField(label=_("发现问题已闭环"), choices=YES_NO)
    custody_checked = forms.ChoiceField(label=_("代管资金已按期检查"), choices=YES_NO_NA, required=False)
    record_book_complete = forms.ChoiceField(label=_("关爱记录册完整"), choices=YES_NO)
    note = forms.CharField(label=_("检查情况"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ProblemForm(forms.Form):
    township = forms.ModelChoiceField(Area.objects.none(), label=_("乡镇(街道)"))
    description = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 3}))
    owner = forms.ModelChoiceField(User.objects.none(), label=_("整改责任人"))
    due_on = forms.DateField(label=_("整改期限"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    serious = forms.BooleanField(label=_("严重问题（立即报州民政局）"), required=False)

    def __init__(self, *args, townships=None, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = townships if townships is not None else Area.objects.none()
        self.fields["owner"].queryset = owners if owners is not None else User.objects.none()
        self.fields["owner"].label_from_instance = lambda u: u.display_name


class CompleteForm(forms.Form):
    summary = forms.CharField(label=_("检查总结"), widget=forms.Textarea(attrs={"rows": 4}))


class AssessmentSettingForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2020, max_value=2100)
    excellent = forms.IntegerField(label=_("优秀分数线"), min_value=1, max_value=100, initial=90)
    passing = forms.IntegerField(label=_("合格分数线"), min_value=1, max_value=100, initial=60)
    reason = forms.CharField(label=_("设置说明"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in INDICATORS.items():
            self.fields[f"w_{key}"] = forms.IntegerField(label=_("权重：%(name)s") % {"name": label}, min_value=0,
                                                         max_value=100)

    def weights(self) -> dict[str, int]:
        return {key: self.cleaned_data[f"w_{key}"] for key in INDICATORS}


class SignoffForm(forms.Form):
    opinion = forms.CharField(label=_("审核意见"), widget=forms.Textarea(attrs={"rows": 3}))

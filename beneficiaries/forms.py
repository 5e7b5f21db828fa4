"""Forms of the roster: they check what a person typed and hand clean values to an action."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Area, User

from . import idnumber, queries
from .actions import CADRE_FIELDS, PERSON_FIELDS, PLAN_FIELDS
from .models import BenefitStatus, Cadre, CarePlan, Criterion, PairingRelation, Person, Tier

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class VillageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Area) -> str:
        return f"{obj.parent.name if obj.parent else ''} {obj.short_name}（{obj.code}）"


class HouseholdForm(forms.Form):
    code = forms.CharField(label=_("户编号"), max_length=40)
    village = VillageChoiceField(label=_("所在村(居)"), queryset=Area.objects.none())
    address = forms.CharField(label=_("住址"), max_length=200, required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = queries.villages_for_user(user)


class PersonForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = list(PERSON_FIELDS)
        widgets = {"disability_grade": forms.Select(choices=[("", "—"), (1, "一级"), (2, "二级"), (3, "三级"), (4, "四级")]),
                   "guardian_can_act": forms.NullBooleanSelect()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.id_number:
            # The edit page shows the number masked, like every other page; full numbers only
            # through the audited reveal. Left as shown, the stored number is kept.
            self.initial["id_number"] = idnumber.mask(self.instance.id_number)
            self.fields["id_number"].help_text = _("号码已隐藏；不修改请保持原样，更正时请填写完整的18位身份证号。")

    def clean_id_number(self) -> str:
        if self.instance.pk and self.cleaned_data["id_number"].strip() == idnumber.mask(self.instance.id_number):
            return self.instance.id_number
        try:
            idnumber.parse(self.cleaned_data["id_number"])
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc
        number = idnumber.normalize(self.cleaned_data["id_number"])
        # Uniqueness is held by the blind index (the number itself is stored encrypted).
        if Person.objects.filter(id_number=number).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("该身份证号已登记，请核实。"))
        return number

    def _post_clean(self):
        # birth_date and sex are derived from the ID number by the action; fill them so the
        # model's own validation (uniqueness, one head per household) can run here.
        number = self.cleaned_data.get("id_number")
        if number:
            facts = idnumber.parse(number)
            self.instance.birth_date, self.instance.sex = facts.birth_date, facts.sex
        super()._post_clean()


class ClassifyForm(forms.Form):
    tier = forms.ChoiceField(label=_("认定类别"), choices=Tier.choices, widget=forms.RadioSelect)
    criteria = forms.MultipleChoiceField(label=_("认定标准"), choices=Criterion.choices, widget=forms.CheckboxSelectMultiple)
    reason = forms.CharField(
        label=_("认定理由"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("与系统建议不一致，或选择A3、B4、C2（研判认定）时必须填写。"),
    )


class ExitForm(forms.Form):
    reason = forms.CharField(label=_("退出原因"), max_length=200, widget=forms.TextInput(attrs={"placeholder": _("如：家庭收入改善，经季度复核退出")}))


class PairingForm(forms.Form):
    cadre = forms.ModelChoiceField(label=_("结对干部"), queryset=Cadre.objects.none())
    relation = forms.ChoiceField(label=_("结对关系"), choices=PairingRelation.choices)
    started_on = forms.DateField(label=_("结对日期"), widget=DATE)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        from .pickers import make_picker, picker_cadres

        make_picker(self, "cadre", picker_cadres(user), user)  # searchable, with village and load


class PairingEndForm(forms.Form):
    ended_on = forms.DateField(label=_("结束日期"), widget=DATE)
    reason = forms.CharField(label=_("结束原因"), max_length=200)


class CadreForm(forms.ModelForm):
    class Meta:
        model = Cadre
        fields = list(CADRE_FIELDS)
        field_classes = {"home_village": VillageChoiceField}

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["home_village"].queryset = queries.villages_for_user(user)
        self.fields["agency"].required = False


class ReassignForm(forms.Form):
    to_cadre = forms.ModelChoiceField(label=_("接收干部"), queryset=Cadre.objects.none())
    reason = forms.CharField(label=_("调整原因"), max_length=200, initial=_("原结对干部工作调动"))
    cadre_leaves = forms.BooleanField(label=_("原干部离岗（标记为不在岗）"), required=False, initial=True)

    def __init__(self, *args, user: User, exclude: Cadre, **kwargs):
        super().__init__(*args, **kwargs)
        from .pickers import make_picker, picker_cadres

        make_picker(self, "to_cadre", picker_cadres(user).exclude(pk=exclude.pk), user)


class CarePlanForm(forms.ModelForm):
    class Meta:
        model = CarePlan
        fields = list(PLAN_FIELDS)
        widgets = {
            "problems": forms.Textarea(attrs={"rows": 4}),
            "measures": forms.Textarea(attrs={"rows": 4}),
            "review_notes": forms.Textarea(attrs={"rows": 3}),
            "target_on": DATE,
            "reviewed_on": DATE,
        }


class ImportForm(forms.Form):
    file = forms.FileField(label=_("花名册文件（.xlsx或.csv）"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith((".xlsx", ".csv")):
            raise ValidationError(_("只支持.xlsx或.csv文件。"))
        from accounts.sheets import check_upload

        check_upload(f)  # the one limit of every import: size, unpacked size, rows
        return f


class RosterFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("户编号、姓名、电话或完整身份证号")}))
    area = forms.ChoiceField(label=_("区域"), required=False)
    tier = forms.ChoiceField(label=_("类别"), required=False, choices=[("", _("全部类别")), *Tier.choices, ("none", _("待认定"))])
    criterion = forms.ChoiceField(label=_("认定标准"), required=False, choices=[("", _("全部标准")), *Criterion.choices])
    paired = forms.ChoiceField(label=_("结对"), required=False,
                               choices=[("", _("全部")), ("yes", _("已结对")), ("no", _("未结对"))])
    benefit = forms.ChoiceField(label=_("保障类别"), required=False, choices=[("", _("全部保障类别")), *BenefitStatus.choices])
    status = forms.ChoiceField(label=_("状态"), required=False,
                               choices=[("active", _("在册")), ("exited", _("已退出")), ("all", _("全部"))])

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", _("全部区域"))] + [
            (a.code, ("　" * {"county": 0, "township": 1, "village": 2}.get(a.level, 0)) + a.short_name)
            for a in queries.areas_for_filter(user)
        ]
        # The filter bar shows the widgets without their labels: the label still names each one
        # for a screen reader (axe select-name).
        for field in self.fields.values():
            field.widget.attrs.setdefault("aria-label", str(field.label))

    def filters(self) -> queries.RosterFilters:
        d = self.cleaned_data if self.is_valid() else {}
        return queries.RosterFilters(
            area=d.get("area", ""), tier=d.get("tier", ""), criterion=d.get("criterion", ""),
            paired=d.get("paired", ""), benefit=d.get("benefit", ""), status=d.get("status") or "active", q=d.get("q", ""),
        )


class ReviewCompleteForm(forms.Form):
    summary = forms.CharField(
        label=_("调整小结"), widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("本季度进入、退出、类别调整的情况和需要跟进的问题。"),
    )

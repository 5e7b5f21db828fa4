"""Forms of finding management (reassign, new deadline, status change with photos)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User

from .forms import DATE, FindingTransitionForm, MultipleFileField


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class FindingReassignForm(forms.Form):
    prefix = "reassign"
    owner = UserChoiceField(label=_("新责任人"), queryset=User.objects.none(), empty_label=_("请选择"))
    due_on = forms.DateField(label=_("改派后的办结期限（可不填）"), widget=DATE, required=False,
                             help_text=_("不填则沿用原期限。"))
    reason = forms.CharField(label=_("改派理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500)

    def __init__(self, *args, candidates, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = candidates
        if groups:  # option groups (结对干部, 村委会, 乡镇 …); the queryset still decides what is valid
            self.fields["owner"].widget.choices = [("", self.fields["owner"].empty_label), *groups]


class FindingDeadlineForm(forms.Form):
    prefix = "deadline"
    due_on = forms.DateField(label=_("新的办结期限"), widget=DATE)
    reason = forms.CharField(label=_("调整理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500)


class FindingUpdateForm(FindingTransitionForm):
    photos = MultipleFileField(label=_("整改照片"), required=False,
                               help_text=_("办结时请拍下整改后的情况，可选多张。"))

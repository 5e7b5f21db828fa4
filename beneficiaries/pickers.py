"""Cadre pickers (结对干部) that a township can search: each choice says who the cadre is, where
they live and how many households they already carry, so two people of the same name are told
apart and the load is spread. The select carries ``data-picker``: static/js/care.js turns it into
a searchable box (vendored Tom Select); without JavaScript it stays a plain select."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import User
from accounts.phones import phone_for
from beneficiaries.models import Cadre, PairingRelation

from . import queries
from .forms import DATE

PICKER_ATTRS = {"data-picker": "cadre", "data-placeholder": _lazy("输入姓名、村名或电话搜索")}


def cadre_label(c: Cadre, viewer: User | None) -> str:
    """The choice's text (what the search box matches): the phone as the phone policy shows it
    to the viewer (accounts.phones.phone_for) — in full for a township, 139****5678 for a county."""
    load = getattr(c, "load_total", None)
    parts = [c.get_kind_display(), c.home_village.short_name]
    if load is not None:
        parts.append(_("已结对%(n)d户") % {"n": load})
    if c.phone:
        parts.append(phone_for(viewer, c.phone))
    return f"{c.name}（{'，'.join(parts)}）"


def picker_cadres(user: User) -> QuerySet[Cadre]:
    """Active cadres in scope with their current load (one grouped query)."""
    return queries.cadres_for_pairing(user).annotate(**queries._load_annotations()).order_by(
        "home_village_id", "name", "id")


class CadreChoiceField(forms.ModelChoiceField):
    viewer: User | None = None  # whose phone policy the labels follow; None shows phones masked

    def __init__(self, *args, viewer: User | None = None, **kwargs):
        kwargs.setdefault("widget", forms.Select(attrs=PICKER_ATTRS))
        super().__init__(*args, **kwargs)
        self.viewer = viewer

    def label_from_instance(self, obj: Cadre) -> str:
        return cadre_label(obj, self.viewer)


def make_picker(form: forms.Form, name: str, queryset: QuerySet[Cadre], viewer: User) -> None:
    """Turn a form's cadre select into the searchable picker (same field name, same label)."""
    old = form.fields[name]
    form.fields[name] = CadreChoiceField(label=old.label, queryset=queryset, required=old.required,
                                         help_text=old.help_text, empty_label=_lazy("请选择或搜索"), viewer=viewer)


class PairingChangeForm(forms.Form):
    """Give an already paired household another cadre (the old pairing ends today)."""

    cadre = CadreChoiceField(label=_lazy("新的结对干部"), queryset=Cadre.objects.none(),
                             empty_label=_lazy("请选择或搜索"))
    relation = forms.ChoiceField(label=_lazy("结对关系"), choices=PairingRelation.choices)
    started_on = forms.DateField(label=_lazy("更换日期"), widget=DATE)
    reason = forms.CharField(label=_lazy("更换原因"), max_length=200)

    def __init__(self, *args, user: User, exclude: Cadre | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = picker_cadres(user)
        self.fields["cadre"].viewer = user
        self.fields["cadre"].queryset = qs.exclude(pk=exclude.pk) if exclude else qs

"""Changing who looks after a household, with the searchable cadre picker: one household
(更换结对干部), or all of a cadre's households at once after a confirmation that lists them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.phones import phone_for
from accounts.scoping import scope_queryset

from . import actions, queries
from .models import Household, HouseholdStatus, Pairing
from .pickers import PairingChangeForm


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errs in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errs)
    else:
        form.add_error(None, exc.messages)


@login_required
def pairing_change(request: HttpRequest, pk: int) -> HttpResponse:
    """End the household's pairing and start one with the chosen cadre — both or neither."""
    household = queries.get_household_for_user(request.user, pk)  # scope before role: outside is 404
    if not actions.can_edit_roster(request.user):
        raise PermissionDenied
    current = queries.active_pairing(household)
    if current is None:
        return redirect("beneficiaries:pairing_create", household.pk)
    today = timezone.localdate()
    form = PairingChangeForm(request.POST or None, user=request.user, exclude=current.cadre,
                             initial={"started_on": today, "relation": current.relation})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            with transaction.atomic():
                actions.pairing_end(actor=request.user, pairing=current, ended_on=d["started_on"], reason=d["reason"],
                                    request=request)
                actions.pairing_create(actor=request.user, household=household, cadre=d["cadre"],
                                       relation=d["relation"], started_on=d["started_on"], request=request)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("结对干部已由 %(a)s 更换为 %(b)s。") % {"a": current.cadre.name, "b": d["cadre"].name})
            return redirect("beneficiaries:household_detail", household.pk)
    return render(request, "beneficiaries/simple_form.html", {
        "form": form, "household": household, "title": _("更换结对干部"), "submit": _("确认更换"),
        "intro": _("当前结对干部：%(c)s（%(p)s），自 %(d)s 起。") % {
            "c": current.cadre.name, "p": phone_for(request.user, current.cadre.phone), "d": current.started_on.isoformat()},
    })


def transfer_preview(request: HttpRequest, cadre, form) -> HttpResponse:
    """The confirmation of a bulk transfer: every household that will move, and the receiving
    cadre's load before and after."""
    moving = list(
        scope_queryset(request.user, Household.objects.filter(
            pairings__cadre=cadre, pairings__ended_on__isnull=True, status=HouseholdStatus.ACTIVE))
        .select_related("village").annotate(head_name=queries.head_name_subquery()).order_by("village_id", "code")
    )
    to_cadre = form.cleaned_data["to_cadre"]
    return render(request, "beneficiaries/transfer_confirm.html", {
        "cadre": cadre, "to_cadre": to_cadre, "moving": moving, "form": form,
        "load_after": (to_cadre.load_total or 0) + len(moving),
        "back": reverse("beneficiaries:cadre_detail", args=[cadre.pk]),
        "other_pairings": Pairing.objects.filter(cadre=cadre, ended_on__isnull=True).count() - len(moving),
    })

"""Pages of early warning: the desk of warnings and help requests, one warning and its
verification, one help request, the household's door card, and the public help page that the
door card's QR opens (no login; shows only the village and the household code)."""

from __future__ import annotations

import datetime as dt

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from accounts import rls
from accounts.actions import audit_record, client_ip
from accounts.models import AuditAction, Role
from accounts.repeat import already_done
from accounts.scoping import has_role, scope_queryset

from . import actions, queries, rules
from .forms import CloseHelpForm, HelpRequestForm, VerifyForm, WarningPolicyForm
from .models import WarningPolicy

# Help requests from one card, and from one address, within RATE_WINDOW seconds.
RATE_PER_CARD = 3
RATE_PER_ADDRESS = 10
RATE_WINDOW = 3600

OFFICIAL_ROLES = (Role.VILLAGE_COMMITTEE, Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE)


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _official(request: HttpRequest) -> bool:
    return request.user.is_superuser or has_role(request.user, *OFFICIAL_ROLES)


# --- panels on the cadre's list and the desk (visits.panels) ------------------------------------


def cadre_panel_context(request: HttpRequest, today: dt.date) -> dict:
    present = queries.open_kinds(request.user, mine=True)  # one small query; the lists only when they have rows
    return {"warnings": queries.open_warnings(request.user, mine=True, limit=20) if "warnings" in present else [],
            "help_requests": queries.open_help_requests(request.user, mine=True, limit=20)
            if "help_requests" in present else []}


def desk_panel_context(request: HttpRequest, today: dt.date) -> dict:
    present = queries.open_kinds(request.user)
    return {"warnings": queries.open_warnings(request.user, limit=20) if "warnings" in present else [],
            "help_requests": queries.open_help_requests(request.user, limit=20) if "help_requests" in present else [],
            "desk_url": reverse("earlywarning:desk")}


# --- the desk ------------------------------------------------------------------------------------


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    if not _official(request):
        raise Http404
    today = timezone.localdate()
    since = today.replace(day=1) if request.GET.get("period") != "year" else today.replace(month=1, day=1)
    return render(request, "earlywarning/desk.html", {
        "today": today, "since": since, "period": request.GET.get("period") or "month",
        "warnings": queries.open_warnings(request.user, limit=300),
        "help_requests": queries.open_help_requests(request.user, limit=100),
        "figures": queries.figures(request.user, since, today), "definitions": queries.FIGURE_DEFINITIONS,
        "why": request.GET.get("why") == "figures",
    })


@login_required
def warning_detail(request: HttpRequest, pk: int) -> HttpResponse:
    warning = queries.get_warning_for_user(request.user, pk)
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and warning.verified_at is not None and actions.can_verify(request.user):
        # A second press of 核查 (or a colleague's a moment ago): the page of what was recorded.
        return already_done(request, "earlywarning:warning", pk)
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.warning_verify(actor=request.user, warning=warning, request=request, **form.cleaned_data)
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("已记录核查结果。"))
                return redirect("earlywarning:warning", pk)
    audit_record(actor=request.user, action=AuditAction.VIEW, obj=warning.household, request=request,
                 details={"page": "care_warning", "warning": warning.pk})
    policy = actions.policy_for(warning.household.village_id[:6] + "000000", warning.raised_on)
    signals = list(warning.signals.order_by("-observed_on", "id"))
    return render(request, "earlywarning/warning.html", {
        "warning": warning, "head_name": queries.head_name_of(warning.household), "signals": [(s, policy.weight(s.kind)) for s in signals], "policy": policy,
        "verification": queries.verification_of(warning), "form": form,
        "can_verify": actions.can_verify(request.user) and warning.is_open,
        "now": timezone.now(),
        "back_url": reverse("earlywarning:desk") if _official(request) else reverse("visits:mine"),
    })


@login_required
def help_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    help_request = queries.get_help_request_for_user(request.user, pk)
    form = CloseHelpForm(request.POST or None)
    if request.method == "POST" and help_request.closed_at is not None and actions.can_close_help(request.user):
        return already_done(request, "earlywarning:help_request", pk)  # a second press of 办结
    if request.method == "POST" and form.is_valid():
        try:
            actions.help_request_close(actor=request.user, help_request=help_request, request=request,
                                       outcome=form.cleaned_data["outcome"])
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已办结该求助。"))
            return redirect("earlywarning:help_request", pk)
    audit_record(actor=request.user, action=AuditAction.VIEW, obj=help_request.household, request=request,
                 details={"page": "help_request", "help_request": help_request.pk})
    return render(request, "earlywarning/help_request.html", {
        "help_request": help_request, "form": form, "can_close": actions.can_close_help(request.user),
        # The warnings page is the officials'; a cadre goes back to the list the request came from.
        "back_url": reverse("earlywarning:desk") if _official(request) else reverse("visits:mine")})


@login_required
def policy(request: HttpRequest) -> HttpResponse:
    """The county's weights and thresholds (county staff set them; township and up read them)."""
    if not _official(request):
        raise Http404
    today = timezone.localdate()
    county_roles = [r for r in request.user.roles.select_related("area") if r.role == Role.COUNTY and r.area]
    county = county_roles[0].area if county_roles else None
    current = actions.policy_for(county.code, today) if county else rules.DEFAULT_POLICY
    form = WarningPolicyForm(request.POST or None, policy=current, initial={"effective_on": today})
    if request.method == "POST":
        if county is None:
            raise Http404
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                actions.warning_policy_set(
                    actor=request.user, weights=form.weights(), request=request,
                    **{k: data[k] for k in ("attention_at", "warning_at", "urgent_at", "window_days", "effective_on",
                                            "reason")})
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("预警规则已保存，自生效日期起用于本县。"))
                return redirect("earlywarning:policy")
    history = scope_queryset(request.user, WarningPolicy.objects.select_related("county", "set_by"))[:50]
    return render(request, "earlywarning/policy.html", {"form": form, "county": county, "history": history,
                                                        "current": current})


# --- door card -------------------------------------------------------------------------------------


@login_required
def door_card(request: HttpRequest, pk: int) -> HttpResponse:
    """The household's help card: its QR (the public help page) and, for the village committee
    and up, reprint (a new token; the old one stops working) and revoke."""
    household = queries.get_household_for_user(request.user, pk)
    if request.method == "POST":
        try:
            if request.POST.get("do") == "revoke":
                card = queries.valid_card_of(household)
                if card is None:
                    raise ValidationError(_("该户没有有效的爱心牌。"))
                actions.door_card_revoke(actor=request.user, card=card, request=request)
                messages.success(request, _("已作废爱心牌，原二维码不能再使用。"))
            else:
                actions.door_card_issue(actor=request.user, household=household, request=request)
                messages.success(request, _("已制发新的爱心牌，旧二维码已失效。"))
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("earlywarning:door_card", pk)
    card = queries.valid_card_of(household)
    url = request.build_absolute_uri(reverse("earlywarning:help", args=[card.token])) if card else ""
    return render(request, "earlywarning/door_card.html", {
        "household": household, "card": card, "url": url,
        "qr": segno.make(url, error="m").svg_inline(scale=4, border=2) if card else "",
        "can_issue": actions.can_issue_cards(request.user)})


# --- the public help page --------------------------------------------------------------------------


def _over_limit(key: str, limit: int) -> bool:
    """Count one more request under `key` in the cache (Redis) for RATE_WINDOW seconds."""
    cache.add(key, 0, RATE_WINDOW)
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RATE_WINDOW)
        return False


def _door_card_scope() -> None:
    """The public page has no user: it reads its card (by the token only) and writes the help
    request, its signal and the warning in the explicit, logged system scope (row-level security,
    accounts/rls.py); it shows nothing but the village's name and the household's code."""
    rls.system_scope("door card help page")


@never_cache
def help_page(request: HttpRequest, token: str) -> HttpResponse:
    """Public: the door card's QR. Only the village's name and the household's code are shown."""
    _door_card_scope()
    card = queries.valid_card(token)
    if card is None:
        return render(request, "earlywarning/help_invalid.html", status=404)
    form = HelpRequestForm(request.POST or None)
    limited = False
    if request.method == "POST" and form.is_valid():
        address = client_ip(request) or "unknown"
        if _over_limit(f"help-rate:card:{card.pk}", RATE_PER_CARD) | _over_limit(f"help-rate:ip:{address}",
                                                                                 RATE_PER_ADDRESS):
            limited = True
        else:
            try:
                actions.help_request_submit(card=card, **form.cleaned_data)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                return redirect("earlywarning:help_sent", token)
    village = card.household.village
    return render(request, "earlywarning/help_page.html", {
        "form": form, "village": village.short_name, "township": village.parent.short_name if village.parent else "",
        "code": card.household.code, "limited": limited}, status=429 if limited else 200)


@never_cache
def help_sent(request: HttpRequest, token: str) -> HttpResponse:
    _door_card_scope()
    card = queries.valid_card(token)
    if card is None:
        return render(request, "earlywarning/help_invalid.html", status=404)
    return render(request, "earlywarning/help_sent.html", {"code": card.household.code,
                                                           "village": card.household.village.short_name})



"""Pages of campaigns: thin — fetch in scope, call one action, redirect."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts import sheets
from accounts.actions import audit_record
from accounts.models import AREA_ROLES, PREFIX_LENGTH, Area, AreaLevel, AuditAction, Role
from accounts.permissions import apply_form_errors
from accounts.repeat import already_done
from accounts.scoping import area_prefixes, get_object_for_user, has_role, scope_queryset, user_roles

from . import actions, exports, queries, rules
from .forms import (
    AssessmentForm,
    CampaignEditForm,
    CampaignForm,
    CloseForm,
    DeliveryForm,
    DonationForm,
    NeedAddForm,
    ReverseForm,
    StockReceiveForm,
    WaterDeliveryForm,
    assessment_initial,
)
from .models import CampaignKind, CampaignNeed, Delivery, Item, NeedSource, NeedStatus, WaterDelivery


def _official(user) -> bool:
    return user.is_superuser or has_role(user, *AREA_ROLES)


def _can(user, *roles) -> bool:
    return user.is_superuser or has_role(user, *roles)


def _home_area(user, campaign) -> Area:
    """The area the board opens on: the campaign's own area if the user oversees it, else the
    user's own area inside it."""
    if user.is_superuser or any(campaign.area_id.startswith(p) for p in area_prefixes(user)):
        return campaign.area
    prefix = campaign.area_id[: PREFIX_LENGTH[campaign.area.level]]
    mine = sorted((r.area for r in user_roles(user) if r.area_id and r.role in AREA_ROLES
                   and r.area_id.startswith(prefix)), key=lambda a: a.code)
    if not mine:
        raise Http404
    return mine[0]


def _area_param(request, campaign) -> Area:
    code = request.GET.get("area") or ""
    if code:
        return get_object_for_user(request.user, Area, code=code)
    return _home_area(request.user, campaign)


def _wants_json(request: HttpRequest) -> bool:
    """The browser outbox posts with Accept: application/json (docs/offline.md)."""
    return "application/json" in request.headers.get("Accept", "")


def _login_required_json(view):
    """Like login_required, but a JSON request without a session gets 401, not the login page,
    so the outbox keeps the entry until the next login."""
    guarded = login_required(view)

    def wrapper(request: HttpRequest, *args, **kwargs):
        if _wants_json(request) and not request.user.is_authenticated:
            return JsonResponse({"ok": False, "login_required": True}, status=401)
        return guarded(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _json_errors(form) -> JsonResponse:
    return JsonResponse({"ok": False, "errors": {k: [str(e) for e in v] for k, v in form.errors.items()}},
                        status=400)


def _json_saved(request, model, token, obj, row, message) -> JsonResponse:
    """The outbox's answer: 201 for a new record, 200 for a token already stored."""
    return JsonResponse({"ok": True, "created": getattr(obj, "_created", True), "id": obj.pk,
                         "client_token": str(token or ""), "household_name": row.head_name or row.household.code,
                         "redirect": reverse("campaigns:row", args=[row.pk]), "message": str(message)},
                        status=201 if getattr(obj, "_created", True) else 200)


# --- campaigns, declaring, board ----------------------------------------------------------------


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    if not (_official(request.user) or has_role(request.user, Role.CADRE)):
        raise Http404
    today = timezone.localdate()
    rows = list(queries.campaigns_for(request.user)[:200])
    for c in rows:
        c.state = rules.state(c.starts_on, c.ends_on, today)
        c.state_label = rules.STATE_LABELS[c.state]
    return render(request, "campaigns/list.html", {
        "campaigns": rows, "can_declare": _can(request.user, Role.COUNTY, Role.PREFECTURE), "today": today,
        "can_board": _official(request.user),
        "todo_count": queries.unassessed(request.user, today).count(),
    })


@login_required
def campaign_new(request: HttpRequest) -> HttpResponse:
    if not _can(request.user, Role.COUNTY, Role.PREFECTURE):
        raise Http404
    today = timezone.localdate()
    visible = scope_queryset(request.user, Area.objects.all()).order_by("code")
    form = CampaignForm(request.POST or None, areas=visible.filter(level__in=[AreaLevel.COUNTY, AreaLevel.PREFECTURE]),
                        townships=visible.filter(level=AreaLevel.TOWNSHIP))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            campaign = actions.campaign_declare(
                actor=request.user, kind=d["kind"], name=d["name"], area=d["area"], areas=list(d["areas"]),
                starts_on=d["starts_on"], ends_on=d["ends_on"], assess_by=d["assess_by"], tiers=d["tiers"],
                limited_mobility_tiers=d["limited_mobility_tiers"], assessor=d["assessor"],
                questions=d["questions"], water_every_days=d["water_every_days"], note=d["note"], today=today,
                request=request)
        except (ValidationError, PermissionDenied) as exc:
            apply_form_errors(form, exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
        else:
            messages.success(request, _("专项行动已部署，纳入 %(n)s 户。") % {"n": campaign.households.count()})
            return redirect("campaigns:board", campaign.pk)
    return render(request, "campaigns/new.html", {"form": form})


def _may_manage(user, campaign) -> bool:
    """The declaring county or prefecture (or above) edits and closes its campaign."""
    return user.is_superuser or any(campaign.area_id.startswith(p)
                                    for p in area_prefixes(user, {Role.COUNTY, Role.PREFECTURE}))


@login_required
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a declared campaign before it ends (period, deadline, areas, target groups)."""
    today = timezone.localdate()
    campaign = queries.get_campaign_for_user(request.user, pk)
    if not _may_manage(request.user, campaign):
        raise Http404
    townships = scope_queryset(request.user, Area.objects.filter(level=AreaLevel.TOWNSHIP)).order_by("code")
    initial = {"name": campaign.name, "areas": list(campaign.areas.all()), "starts_on": campaign.starts_on,
               "ends_on": campaign.ends_on, "assess_by": campaign.assess_by, "tiers": campaign.tiers,
               "limited_mobility_tiers": campaign.limited_mobility_tiers,
               "water_every_days": campaign.water_every_days, "note": campaign.note}
    form = CampaignEditForm(request.POST or None, campaign=campaign, townships=townships, initial=initial)
    ended = campaign.closed_on is not None or campaign.ends_on < today
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            actions.campaign_update(
                actor=request.user, campaign=campaign, name=d["name"], areas=list(d["areas"]),
                starts_on=d["starts_on"], ends_on=d["ends_on"], assess_by=d["assess_by"], tiers=d["tiers"],
                limited_mobility_tiers=d["limited_mobility_tiers"], water_every_days=d.get("water_every_days"),
                note=d["note"], today=today, request=request)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("专项行动已修改。"))
            return redirect("campaigns:board", campaign.pk)
    return render(request, "campaigns/edit.html", {"campaign": campaign, "form": form, "ended": ended,
                                                   "close_form": CloseForm()})


@login_required
@require_POST
def campaign_close(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    campaign = queries.get_campaign_for_user(request.user, pk)
    if not _may_manage(request.user, campaign):
        raise Http404
    if campaign.closed_on is not None:  # a second press of 提前结束: the board of the ended campaign
        return already_done(request, "campaigns:board", campaign.pk,
                            detail=_("专项行动已于 %(d)s 结束。") % {"d": campaign.closed_on.isoformat()})
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写提前结束的原因。"))
        return redirect("campaigns:edit", campaign.pk)
    try:
        actions.campaign_close(actor=request.user, campaign=campaign, reason=form.cleaned_data["reason"],
                               today=today, request=request)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("campaigns:edit", campaign.pk)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("专项行动已提前结束，今天为最后一天。"))
    return redirect("campaigns:board", campaign.pk)


@login_required
def board(request: HttpRequest, pk: int) -> HttpResponse:
    if not _official(request.user):
        raise Http404
    today = timezone.localdate()
    campaign = queries.get_campaign_for_user(request.user, pk)
    area = _area_param(request, campaign)
    rows = queries.board(request.user, campaign, area, today)
    totals = {k: sum(getattr(r, k) for r in rows) for k in ("in_scope", "assessed", "needs_confirmed", "delivered",
                                                            "overdue")}
    return render(request, "campaigns/board.html", {
        "campaign": campaign, "area": area, "rows": rows, "totals": totals, "today": today,
        "state_label": rules.STATE_LABELS[rules.state(campaign.starts_on, campaign.ends_on, today)],
        "can_confirm": _can(request.user, Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE),
        "drill_level": area.level != AreaLevel.VILLAGE and area.level != AreaLevel.TOWNSHIP,
        "is_water": campaign.kind == CampaignKind.WATER, "may_manage": _may_manage(request.user, campaign),
    })


STATUS_LABELS = {"": _("全部"), "unassessed": _("未评估"), "assessed": _("已评估"), "confirmed": _("需求已确认"),
                 "delivered": _("已发放"), "overdue": _("逾期")}


@login_required
def households(request: HttpRequest, pk: int) -> HttpResponse:
    if not _official(request.user):
        raise Http404
    today = timezone.localdate()
    campaign = queries.get_campaign_for_user(request.user, pk)
    area = _area_param(request, campaign)
    status = request.GET.get("status", "")
    rows = queries.board_households(request.user, campaign, area, today, status)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    audit_record(actor=request.user, action=AuditAction.VIEW, object_type="campaigns.households",
                 object_repr=str(campaign), request=request, details={"area": area.code, "status": status})
    return render(request, "campaigns/households.html", {
        "campaign": campaign, "area": area, "page": page, "status": status, "statuses": STATUS_LABELS,
        "today": today,
    })


@login_required
def todo(request: HttpRequest) -> HttpResponse:
    """Households still to assess (the cadre's own, the village's), nearest deadline first; and
    open missed water deliveries."""
    today = timezone.localdate()
    rows = list(queries.unassessed(request.user, today)[:300])
    return render(request, "campaigns/todo.html", {
        "rows": rows, "today": today, "alerts": list(queries.open_water_alerts(request.user)[:100]),
        "is_cadre": has_role(request.user, Role.CADRE),
        "to_deliver": list(queries.to_deliver(request.user, today)[:200]),
        "water_rows": list(queries.water_schedule(request.user, today)[:200]),
    })


# --- a household in a campaign --------------------------------------------------------------------


@login_required
def row_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A household in a campaign: its assessment (the village may assess here), its needs and
    what was delivered, and for water campaigns the schedule and the delivery form."""
    today = timezone.localdate()
    row = queries.get_row_for_user(request.user, pk)
    campaign = row.campaign
    form = AssessmentForm(request.POST or None, campaign=campaign, prefix="a", initial=assessment_initial(row))
    water_form = WaterDeliveryForm(None, initial={"delivered_on": today, "client_token": uuid.uuid4()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = actions.AssessmentInput(**{f: d.get(f) for f in rules.question_fields(campaign.kind)},
                                       answers=form.answers(), note=d.get("note", ""))
        try:
            actions.assessment_record(actor=request.user, row=row, data=data, assessed_on=today, today=today,
                                      request=request)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("评估已保存。"))
            return redirect("campaigns:row", row.pk)

    needs = list(CampaignNeed.objects.filter(campaign=campaign, household=row.household).order_by("item"))
    deliveries = list(Delivery.objects.filter(campaign=campaign, household=row.household)
                      .select_related("recorded_by").order_by("delivered_on", "id"))
    water = list(WaterDelivery.objects.filter(campaign=campaign, household=row.household).order_by("-delivered_on")[:30])
    audit_record(actor=request.user, action=AuditAction.VIEW, obj=row.household, request=request,
                 details={"page": "campaign_row", "campaign": campaign.pk})
    return render(request, "campaigns/row.html", {
        "row": row, "campaign": campaign, "form": form, "needs": needs, "deliveries": deliveries, "water": water,
        "water_form": water_form, "today": today, "is_water": campaign.kind == CampaignKind.WATER,
        "add_form": NeedAddForm(), "can_confirm": _can(request.user, Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE),
        "alerts": list(row.water_alerts.filter(closed_on__isnull=True)),
    })


@_login_required_json
def water_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The water delivery form of one household (kept on the phone for offline use), and the URL
    both the household's page and the outbox post to."""
    today = timezone.localdate()
    as_json = _wants_json(request)
    try:
        row = queries.get_row_for_user(request.user, pk)
    except Http404:
        if as_json:
            return JsonResponse({"ok": False, "not_found": True}, status=404)
        raise
    if request.method != "POST":
        form = WaterDeliveryForm(None, initial={"delivered_on": today, "client_token": uuid.uuid4()})
        return render(request, "campaigns/water.html", {"row": row, "campaign": row.campaign, "form": form,
                                                         "today": today})
    form = WaterDeliveryForm(request.POST)
    if form.is_valid():
        token = form.cleaned_data.get("client_token")
        existed = token is not None and WaterDelivery.objects.filter(recorded_by=request.user,
                                                                     client_token=token).exists()
        try:
            delivery = actions.water_delivery_record(actor=request.user, row=row, today=today, request=request,
                                                     **form.cleaned_data)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        except PermissionDenied:
            if as_json:
                return JsonResponse({"ok": False, "not_found": True}, status=404)
            raise Http404 from None
        else:
            delivery._created = not existed
            if as_json:
                return _json_saved(request, WaterDelivery, token, delivery, row, _("送水记录已保存。"))
            if existed:  # the same form sent again: stored once
                return already_done(request, "campaigns:row", row.pk, detail=_("送水记录已保存。"))
            messages.success(request, _("送水记录已保存。"))
            return redirect("campaigns:row", row.pk)
    if as_json:
        return _json_errors(form)
    errors = [e for errs in form.errors.values() for e in errs]
    messages.error(request, _("送水记录未保存：") + "；".join(str(e) for e in errors))
    return redirect("campaigns:row", row.pk)


@login_required
@require_POST
def need_add(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    row = queries.get_row_for_user(request.user, pk)
    form = NeedAddForm(request.POST)
    if form.is_valid() and CampaignNeed.objects.filter(
            campaign=row.campaign, household=row.household, item=form.cleaned_data["item"],
            quantity=form.cleaned_data["quantity"], source=form.cleaned_data["source"]).exists():
        return already_done(request, "campaigns:row", row.pk)  # the same line added twice: listed once
    if form.is_valid():
        try:
            actions.need_add(actor=request.user, row=row, today=today, request=request, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("需求已加入清单。"))
    return redirect("campaigns:row", row.pk)


# --- needs list, deliveries ---------------------------------------------------------------------------


@login_required
def needs(request: HttpRequest, pk: int) -> HttpResponse:
    """The needs list of an area (the township confirms it: amount and source per line)."""
    if not _official(request.user):
        raise Http404
    today = timezone.localdate()
    campaign = queries.get_campaign_for_user(request.user, pk)
    area = _area_param(request, campaign)
    rows = queries.needs_list(request.user, campaign, area)
    can_confirm = _can(request.user, Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE)
    if request.method == "POST":
        if not can_confirm:
            raise Http404
        by_id = {n.pk: n for n in rows.filter(pk__in=[int(i) for i in request.POST.getlist("need") if i.isdigit()])}
        lines = []
        errors = []
        for need_id, need in by_id.items():
            raw = request.POST.get(f"quantity-{need_id}", "").strip()
            if not raw.isdigit():
                errors.append(_("%(h)s 的%(i)s数量应为整数。") % {"h": actions.need_name(need), "i": need.get_item_display()})
                continue
            lines.append(actions.NeedLine(need, int(raw), request.POST.get(f"source-{need_id}", ""),
                                          cancel=request.POST.get(f"cancel-{need_id}") == "1"))
        if not lines and not errors:
            errors.append(_("请勾选要确认的需求。"))
        if not errors:
            try:
                n = actions.needs_confirm(actor=request.user, lines=lines, today=today, request=request)
            except ValidationError as exc:
                errors = exc.messages
            else:
                messages.success(request, _("已确认 %(n)s 条需求。") % {"n": n})
                return redirect(f"{reverse('campaigns:needs', args=[campaign.pk])}?area={area.code}")
        for e in errors:
            messages.error(request, e)
    page = Paginator(rows, 200).get_page(request.GET.get("page"))
    audit_record(actor=request.user, action=AuditAction.VIEW, object_type="campaigns.needs_list",
                 object_repr=str(campaign), request=request, details={"area": area.code})
    return render(request, "campaigns/needs.html", {
        "campaign": campaign, "area": area, "page": page, "totals": queries.needs_totals(rows),
        "can_confirm": can_confirm, "sources": NeedSource.choices, "posted": request.POST,
        "proposed": NeedStatus.PROPOSED, "today": today,
    })


@_login_required_json
def deliver(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a delivery against a confirmed need: quantity, date, who received it, proof. The
    page is kept on the phone for offline use; the outbox posts here with JSON."""
    today = timezone.localdate()
    as_json = _wants_json(request)
    try:
        need = queries.get_need_for_user(request.user, pk)
    except Http404:
        if as_json:
            return JsonResponse({"ok": False, "not_found": True}, status=404)
        raise
    form = DeliveryForm(request.POST or None, request.FILES or None, today=today,
                        initial={"quantity": need.quantity - need.delivered})
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data.get("client_token")
        existed = token is not None and Delivery.objects.filter(recorded_by=request.user, client_token=token).exists()
        try:
            delivery = actions.delivery_record(actor=request.user, need=need, today=today, request=request,
                                               **form.cleaned_data)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        except PermissionDenied:
            if as_json:
                return JsonResponse({"ok": False, "not_found": True}, status=404)
            raise Http404 from None
        else:
            row = queries.get_row_for_user(request.user,
                                           need.campaign.households.get(household=need.household).pk)
            delivery._created = not existed
            if as_json:
                return _json_saved(request, Delivery, token, delivery, row, _("发放记录已保存。"))
            if existed:  # the same form sent again: stored once
                return already_done(request, "campaigns:row", row.pk, detail=_("发放记录已保存。"))
            messages.success(request, _("发放记录已保存。"))
            return redirect("campaigns:row", row.pk)
    if request.method == "POST" and as_json:
        return _json_errors(form)
    return render(request, "campaigns/deliver.html", {"need": need, "form": form})


@login_required
@require_POST
def delivery_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    delivery = get_object_for_user(request.user, Delivery.objects.select_related("household"), pk=pk)
    form = ReverseForm(request.POST)
    row = queries.get_row_for_user(request.user, delivery.campaign.households.get(household=delivery.household).pk)
    if Delivery.objects.filter(reverses=delivery).exists():  # reversed already: the row's page, not an error
        return already_done(request, "campaigns:row", row.pk, detail=_("该发放记录已冲正。"))
    if form.is_valid():
        try:
            actions.delivery_reverse(actor=request.user, delivery=delivery, reason=form.cleaned_data["reason"],
                                     today=today, request=request)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("已冲正。"))
    else:
        messages.error(request, _("请填写冲正原因。"))
    return redirect("campaigns:row", row.pk)


# --- stock and donations ---------------------------------------------------------------------------


@login_required
def stock(request: HttpRequest) -> HttpResponse:
    if not _can(request.user, Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE):
        raise Http404
    today = timezone.localdate()
    areas = scope_queryset(request.user, Area.objects.filter(level__in=[AreaLevel.TOWNSHIP, AreaLevel.COUNTY])
                           ).order_by("code")
    receive = StockReceiveForm(request.POST if request.POST.get("form") == "receive" else None, areas=areas,
                               prefix="r", initial={"occurred_on": today})
    donate = DonationForm(request.POST if request.POST.get("form") == "donation" else None, areas=areas, prefix="d",
                          initial={"received_on": today})
    if request.method == "POST":
        try:
            if receive.is_bound and receive.is_valid():
                actions.stock_receive(actor=request.user, today=today, request=request, **receive.cleaned_data)
                messages.success(request, _("入库已登记。"))
                return redirect("campaigns:stock")
            if donate.is_bound and donate.is_valid():
                d = donate.cleaned_data
                actions.donation_record(actor=request.user, area=d["area"], donor=d["donor"],
                                        received_on=d["received_on"], item=d["item"], quantity=d["quantity"] or 0,
                                        amount_fen=donate.amount_fen(), note=d["note"], today=today, request=request)
                messages.success(request, _("捐赠已登记。"))
                return redirect("campaigns:stock")
        except ValidationError as exc:
            apply_form_errors(receive if receive.is_bound else donate, exc)
        except PermissionDenied as exc:
            (receive if receive.is_bound else donate).add_error(None, str(exc))
    item = request.GET.get("item", "")
    area_code = request.GET.get("area", "")
    area = get_object_for_user(request.user, Area, code=area_code) if area_code else None
    entries = Paginator(queries.stock_entries(request.user, area, item if item in Item.values else ""), 100
                        ).get_page(request.GET.get("page"))
    return render(request, "campaigns/stock.html", {
        "on_hand": queries.stock_on_hand(request.user), "entries": entries, "receive": receive, "donate": donate,
        "donations": queries.donations_for(request.user)[:50], "items": Item.choices, "item": item, "area": area,
    })


# --- exports ------------------------------------------------------------------------------------------


def _export(request, object_type: str, label: str, rows: int, details: dict):
    audit_record(actor=request.user, action=AuditAction.EXPORT, object_type=object_type, object_repr=label,
                 request=request, details={**details, "rows": rows})


@login_required
def needs_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    if not _official(request.user):
        raise Http404
    campaign = queries.get_campaign_for_user(request.user, pk)
    area = _area_param(request, campaign)
    rows = list(queries.needs_list(request.user, campaign, area))
    _export(request, "campaigns.needs_list", str(campaign), len(rows), {"area": area.code})
    return sheets.file_response(exports.needs_xlsx(campaign, rows), f"需求清单-{campaign.name}-{area.name}.xlsx", "xlsx")


@login_required
def deliveries_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    if not _official(request.user):
        raise Http404
    campaign = queries.get_campaign_for_user(request.user, pk)
    area = _area_param(request, campaign)
    prefix = area.code[: PREFIX_LENGTH[area.level]]
    rows = list(queries.deliveries_for(request.user, campaign).filter(household__village__code__startswith=prefix))
    water = list(queries.water_deliveries_for(request.user, campaign).filter(household__village__code__startswith=prefix))
    _export(request, "campaigns.delivery_ledger", str(campaign), len(rows) + len(water), {"area": area.code})
    return sheets.file_response(exports.deliveries_xlsx(campaign, rows, water, request=request),
                                f"发放台账-{campaign.name}-{area.name}.xlsx", "xlsx")


@login_required
def stock_xlsx(request: HttpRequest) -> HttpResponse:
    if not _can(request.user, Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE):
        raise Http404
    rows = list(queries.stock_entries(request.user))
    _export(request, "campaigns.stock_ledger", "物资台账", len(rows), {})
    return sheets.file_response(exports.stock_xlsx(rows), f"物资台账-{timezone.localdate():%Y%m%d}.xlsx", "xlsx")

"""HTTP layer of the roster: fetch in scope (404 outside), call one action, redirect."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import sheets
from accounts.actions import audit_record
from accounts.models import Area, AreaLevel, AuditAction
from accounts.next_url import safe_next
from accounts.otp import ask_for_second_factor, second_factor_passed
from accounts.permissions import apply_form_errors, require
from accounts.repeat import AlreadyDone, already_done
from accounts.scoping import get_object_for_user, scope_queryset

from . import actions, display, idnumber, queries, review_io, roster_io, rules
from . import exports as roster_exports
from .display import head_name_subquery
from .forms import (
    CadreForm,
    CarePlanForm,
    ClassifyForm,
    HouseholdForm,
    ImportForm,
    PairingEndForm,
    PairingForm,
    PersonForm,
    ReassignForm,
    ReviewCompleteForm,
    RosterFilterForm,
)
from .models import Criterion, Household, Pairing, Person, Relation
from .tabs import tabs_for

PAGE_SIZE = 50


_require = require  # the one permission helper (accounts/permissions.py)


_apply_errors = apply_form_errors  # the one form-error helper (accounts/permissions.py)


# --- roster list and household page -------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def roster_list(request: HttpRequest) -> HttpResponse:
    # A search by full ID number arrives by POST (the page's script switches the form), so the
    # number never stands in a URL, a server log or the browser history.
    form = RosterFilterForm((request.POST if request.method == "POST" else request.GET) or None, user=request.user)
    households = queries.roster_households(request.user, form.filters())
    page = Paginator(households, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    for h in rows:
        h.head_id_masked = idnumber.mask(h.head_id_number)
    # Suggestions for the unclassified rows of this page: one query for their members.
    unclassified = [h.pk for h in rows if not h.tier]
    if unclassified:
        today = timezone.localdate()
        by_household: dict[int, list] = {}
        for p in Person.objects.filter(household_id__in=unclassified):
            by_household.setdefault(p.household_id, []).append(rules.MemberFacts.of(p))
        for h in rows:
            if not h.tier:
                h.suggestion = rules.suggest(by_household.get(h.pk, []), today)
    filters = form.filters()
    village = Area.objects.filter(code=filters.area, level=AreaLevel.VILLAGE).first() if filters.area else None
    return render(request, "beneficiaries/roster_list.html", {
        "form": form, "page": page, "rows": rows, "village": village,
        "can_edit": actions.can_edit_roster(request.user), "can_export_full": _can_export_full(request.user),
    })


def _can_export_full(user) -> bool:
    # Full ID numbers leave the system only for county and prefecture staff, audited as a reveal.
    return actions.can_reveal(user) and actions.can_classify(user)


@login_required
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = queries.get_household_for_user(request.user, pk)
    today = timezone.localdate()
    context = queries.household_page(household)
    audit_record(actor=request.user, action=AuditAction.VIEW, obj=household, request=request)
    for p in context["members"]:
        p.age = idnumber.age_on(p.birth_date, today)
    # The heading names the household by its head (STYLE 21); the members are at hand already.
    household.head_name = next((p.name for p in context["members"] if p.relation == Relation.HEAD), None)
    context.update(
        tabs=tabs_for(request, household),
        household=household,
        suggestion=rules.suggest([rules.MemberFacts.of(p) for p in context["members"]], today),
        active_pairing=next((p for p in context["pairings"] if p.is_active), None),
        today=today,
        can_edit=actions.can_edit_roster(request.user),
        can_classify=actions.can_classify(request.user),
        can_reveal=actions.can_reveal(request.user),
    )
    return render(request, "beneficiaries/household_detail.html", context)


@login_required
def household_create(request: HttpRequest) -> HttpResponse:
    _require(actions.can_edit_roster(request.user))
    form = HouseholdForm(request.POST or None, user=request.user, prefix="hh")
    head = PersonForm(request.POST or None, prefix="head", initial={"relation": "head"})
    if request.method == "POST" and form.is_valid() and head.is_valid():
        try:
            with transaction.atomic():
                household = actions.household_create(actor=request.user, request=request, **form.cleaned_data)
                actions.person_save(actor=request.user, household=household, data=head.cleaned_data,
                                    today=timezone.localdate(), request=request)
        except ValidationError as exc:
            target = head if hasattr(exc, "error_dict") and set(exc.message_dict) & set(head.fields) else form
            _apply_errors(target, exc)
        else:
            messages.success(request, _("已登记家庭 %(c)s。") % {"c": display.household_label(
                head_name=head.cleaned_data["name"], village_name=household.village.short_name, code=household.code)})
            return redirect("beneficiaries:household_detail", household.pk)
    return render(request, "beneficiaries/household_form.html", {"form": form, "head": head, "creating": True})


@login_required
def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    household = queries.get_household_for_user(request.user, pk)
    _require(actions.can_edit_roster(request.user))
    initial = {"code": household.code, "village": household.village, "address": household.address}
    form = HouseholdForm(request.POST or None, user=request.user, initial=initial, prefix="hh")
    if request.method == "POST" and form.is_valid():
        try:
            actions.household_update(actor=request.user, household=household, request=request, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("beneficiaries:household_detail", household.pk)
    return render(request, "beneficiaries/household_form.html", {"form": form, "household": household})


@login_required
def person_edit(request: HttpRequest, pk: int, person_pk: int | None = None) -> HttpResponse:
    household = queries.get_household_for_user(request.user, pk)
    person = get_object_for_user(request.user, Person, pk=person_pk, household=household) if person_pk else None
    _require(actions.can_edit_roster(request.user))
    form = PersonForm(request.POST or None, instance=person or Person(household=household))
    if request.method == "POST" and form.is_valid():
        try:
            actions.person_save(actor=request.user, household=household, person=person, data=form.cleaned_data,
                                today=timezone.localdate(), request=request)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已保存成员信息。"))
            return redirect("beneficiaries:household_detail", household.pk)
    return render(request, "beneficiaries/person_form.html", {"form": form, "household": household, "person": person})


@login_required
@require_POST
def id_reveal(request: HttpRequest, person_pk: int) -> HttpResponse:
    person = get_object_for_user(request.user, Person.objects.select_related("household"), pk=person_pk)
    if actions.can_reveal(request.user) and not second_factor_passed(request.user):  # step-up, after scope
        return ask_for_second_factor(request, reverse("beneficiaries:household_detail", args=[person.household_id]))
    try:
        number = actions.id_reveal(actor=request.user, person=person, request=request)
    except ValidationError as exc:
        raise PermissionDenied from exc
    return render(request, "beneficiaries/partials/id_revealed.html", {"person": person, "number": number})


@login_required
def classify(request: HttpRequest, pk: int) -> HttpResponse:
    household = queries.get_household_for_user(request.user, pk)
    _require(actions.can_classify(request.user))
    today = timezone.localdate()
    page = queries.household_page(household)
    members = page["members"]
    for p in members:
        p.age = idnumber.age_on(p.birth_date, today)
    suggestion = rules.suggest([rules.MemberFacts.of(p) for p in members], today)
    initial = {"tier": household.tier or suggestion.tier, "criteria": household.criteria or list(suggestion.criteria)}
    form = ClassifyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.classification_confirm(actor=request.user, household=household, today=today, request=request,
                                           once=True, **form.cleaned_data)
        except AlreadyDone:
            return already_done(request, safe_next(request) or reverse("beneficiaries:household_detail",
                                                                        args=[household.pk]),
                                detail=_("已认定为%(t)s类。") % {"t": form.cleaned_data["tier"]})
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已认定为%(t)s类。") % {"t": form.cleaned_data["tier"]})
            # Back where the officer came from (the quarterly review), when that is on this site.
            return redirect(safe_next(request) or reverse("beneficiaries:household_detail", args=[household.pk]))
    # The decision's facts: who lives there (their facts as recorded), what the rules suggest and
    # why (every criterion the facts meet, in words), and the decisions taken before.
    labels = dict(Criterion.choices)
    return render(request, "beneficiaries/classify.html",
                  {"form": form, "household": household, "suggestion": suggestion, "members": members,
                   "reasons": [(c, labels.get(c, c)) for c in suggestion.all_met],
                   "classifications": page["classifications"], "next": safe_next(request)})


@login_required
def why_tier(request: HttpRequest, pk: int) -> HttpResponse:
    """为什么 for the tier suggestion: each criterion the facts meet, the members whose facts meet
    it with those facts as recorded, and the rule (issue 22 §4)."""
    household = queries.get_household_for_user(request.user, pk)
    today = timezone.localdate()
    members = queries.household_page(household)["members"]
    facts = [rules.MemberFacts.of(p) for p in members]
    suggestion = rules.suggest(facts, today)
    audit_record(actor=request.user, action=AuditAction.VIEW, obj=household, request=request,
                 details={"page": "why_tier"})
    labels = dict(Criterion.choices)

    def fact_words(person, field: str) -> str:
        if field == "age":
            return _("年龄 %(n)d 岁") % {"n": idnumber.age_on(person.birth_date, today)}
        model_field = person._meta.get_field(field)
        value = getattr(person, field)
        if isinstance(value, bool):
            shown = _("是") if value else _("否")
        elif model_field.choices:
            shown = getattr(person, f"get_{field}_display")() or _("无")
        else:
            shown = value if value not in (None, "") else _("无")
        return f"{model_field.verbose_name}：{shown}"

    rows = [{"code": code, "label": labels.get(code, code), "chosen": code in suggestion.criteria,
             "members": [(members[i].name, [fact_words(members[i], f) for f in rules.CRITERION_FACTS[code]])
                         for i in indexes]}
            for code, indexes in rules.criteria_members(facts, today).items()]
    return render(request, "beneficiaries/why_tier.html",
                  {"household": household, "suggestion": suggestion, "rows": rows, "today": today})


@login_required
def household_exit(request: HttpRequest, pk: int) -> HttpResponse:
    """Exit is the county's decision (§5(4)): here the township proposes it, with a reason from
    the fixed list; the quarterly review decides (exchange app). Out of scope is 404 here too."""
    household = queries.get_household_for_user(request.user, pk)
    return redirect("exchange:propose", pk=household.pk, kind="exit")


@login_required
def pairing_create(request: HttpRequest, pk: int) -> HttpResponse:
    household = queries.get_household_for_user(request.user, pk)
    _require(actions.can_edit_roster(request.user))
    form = PairingForm(request.POST or None, user=request.user, initial={"started_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        active = queries.active_pairing(household)
        if active is not None and active.cadre_id == form.cleaned_data["cadre"].pk:
            # A second press of 确认结对: the household's page, paired.
            return already_done(request, "beneficiaries:household_detail", household.pk,
                                detail=_("结对干部：%(c)s。") % {"c": active.cadre.name})
        try:
            actions.pairing_create(actor=request.user, household=household, request=request, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已安排结对干部 %(c)s。") % {"c": form.cleaned_data["cadre"].name})
            return redirect("beneficiaries:household_detail", household.pk)
    return render(request, "beneficiaries/simple_form.html", {
        "form": form, "household": household, "title": _("安排结对干部"), "submit": _("确认结对"),
    })


@login_required
def pairing_end(request: HttpRequest, pairing_pk: int) -> HttpResponse:
    pairing = get_object_for_user(request.user, Pairing.objects.select_related("household", "cadre"), pk=pairing_pk)
    _require(actions.can_edit_roster(request.user))
    form = PairingEndForm(request.POST or None, initial={"ended_on": timezone.localdate()})
    if request.method == "POST" and pairing.ended_on is not None:  # a second press of 结束结对
        return already_done(request, "beneficiaries:household_detail", pairing.household_id)
    if request.method == "POST" and form.is_valid():
        try:
            actions.pairing_end(actor=request.user, pairing=pairing, request=request, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已结束结对。"))
            return redirect("beneficiaries:household_detail", pairing.household_id)
    return render(request, "beneficiaries/simple_form.html", {
        "form": form, "household": pairing.household, "title": _("结束结对：%(c)s") % {"c": pairing.cadre.name},
        "submit": _("结束结对"),
    })


@login_required
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    household = queries.get_household_for_user(request.user, pk)
    plan = queries.household_page(household)["plan"]
    form = CarePlanForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        try:
            actions.careplan_save(actor=request.user, household=household, data=form.cleaned_data, request=request)
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                raise PermissionDenied from exc
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已保存一对一解难脱困方案。"))
            return redirect(reverse("beneficiaries:household_detail", args=[household.pk]) + "#plan")
    return render(request, "beneficiaries/simple_form.html", {
        "form": form, "household": household, "title": _("一对一解难脱困方案"), "submit": _("保存方案"),
    })


# --- door cards --------------------------------------------------------------------------------


# Apps above the roster may give a door card's QR another target: each function takes the
# households being printed and returns {household id: path} for those it has one for (earlywarning:
# the public help page of a household's valid help token). Registered in their AppConfig.ready().
DOOR_CARD_QR_TARGETS: list = []


def _qr_targets(households: list[Household]) -> dict[int, str]:
    out: dict[int, str] = {}
    for targets in DOOR_CARD_QR_TARGETS:
        out.update(targets(households))
    return out


def _qr_svg(request: HttpRequest, household: Household, target: str | None = None) -> str:
    url = request.build_absolute_uri(target or reverse("beneficiaries:household_detail", args=[household.pk]))
    return segno.make(url, error="m").svg_inline(scale=3, border=2)


@login_required
def door_card(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_for_user(request.user, queries.door_card_households(request.user), pk=pk)
    card = _card(request, household, _qr_targets([household]))
    audit_record(actor=request.user, action=AuditAction.EXPORT, obj=household, request=request,
                 details={"report": "door_card"})
    return render(request, "beneficiaries/door_cards.html", {"cards": [card], "title": _("爱心牌")})


@login_required
def door_cards_village(request: HttpRequest, code: str) -> HttpResponse:
    village = get_object_for_user(request.user, Area.objects.filter(level=AreaLevel.VILLAGE), code=code)
    households = list(queries.village_households(request.user, village))
    targets = _qr_targets(households)
    cards = [_card(request, h, targets) for h in households]
    audit_record(actor=request.user, action=AuditAction.EXPORT, obj=village, request=request,
                 details={"report": "door_cards", "count": len(cards)})
    return render(request, "beneficiaries/door_cards.html",
                  {"cards": cards, "title": _("%(v)s 爱心牌") % {"v": village.short_name}, "village": village})


def _card(request: HttpRequest, household: Household, targets: dict[int, str]) -> dict:
    pairing = household.active_pairings[0] if household.active_pairings else None
    head = household.heads[0] if household.heads else None
    return {"household": household, "head": head, "cadre": pairing.cadre if pairing else None,
            "qr": _qr_svg(request, household, targets.get(household.pk)), "help": household.pk in targets}


# --- cadres ------------------------------------------------------------------------------------


@login_required
def cadre_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    active = request.GET.get("active", "yes")
    cadres = queries.cadre_directory(request.user, q=q, area=request.GET.get("area", ""),
                                     kind=request.GET.get("kind", ""), active=active)
    page = Paginator(cadres, PAGE_SIZE).get_page(request.GET.get("page"))
    for c in page.object_list:
        c.monthly_visits = queries.monthly_visits(c.load_a, c.load_b, c.load_c)
    return render(request, "beneficiaries/cadre_list.html", {
        "page": page, "q": q, "active": active, "can_edit": actions.can_edit_roster(request.user),
    })


@login_required
def cadre_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cadre = queries.get_cadre_for_user(request.user, pk)
    cadre.monthly_visits = queries.monthly_visits(cadre.load_a, cadre.load_b, cadre.load_c)
    households = queries.roster_households(request.user, queries.RosterFilters(cadre=cadre.pk))
    history = scope_queryset(request.user, Pairing.objects.filter(cadre=cadre)).select_related(
        "household__village").annotate(head_name=head_name_subquery("household_id"))
    audit_record(actor=request.user, action=AuditAction.VIEW, obj=cadre, request=request)
    return render(request, "beneficiaries/cadre_detail.html", {
        "cadre": cadre, "households": households[:500], "history": history[:200],
        "can_edit": actions.can_edit_roster(request.user),
    })


@login_required
def cadre_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    cadre = queries.get_cadre_for_user(request.user, pk) if pk else None
    _require(actions.can_edit_roster(request.user))
    form = CadreForm(request.POST or None, instance=cadre, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            cadre = actions.cadre_save(actor=request.user, cadre=cadre, data=form.cleaned_data, request=request)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已保存帮扶干部 %(c)s。") % {"c": cadre.name})
            return redirect("beneficiaries:cadre_detail", cadre.pk)
    return render(request, "beneficiaries/simple_form.html", {
        "form": form, "title": _("编辑帮扶干部") if cadre else _("新增帮扶干部"), "submit": _("保存"),
        "back": reverse("beneficiaries:cadre_detail", args=[cadre.pk]) if cadre else reverse("beneficiaries:cadre_list"),
    })


@login_required
def cadre_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    cadre = queries.get_cadre_for_user(request.user, pk)
    _require(actions.can_edit_roster(request.user))
    form = ReassignForm(request.POST or None, user=request.user, exclude=cadre)
    if request.method == "POST" and form.is_valid() and request.POST.get("confirmed") != "1":
        # First show what will move and ask again (pairing_views.transfer_preview).
        if not request.POST.get("edit"):
            from .pairing_views import transfer_preview

            return transfer_preview(request, cadre, form)
    elif request.method == "POST" and form.is_valid():
        try:
            moved = actions.pairings_reassign(
                actor=request.user, from_cadre=cadre, to_cadre=form.cleaned_data["to_cadre"],
                reason=form.cleaned_data["reason"], cadre_leaves=form.cleaned_data["cadre_leaves"],
                today=timezone.localdate(), request=request,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已将 %(n)d 户移交给 %(c)s。") % {"n": moved, "c": form.cleaned_data["to_cadre"].name})
            return redirect("beneficiaries:cadre_detail", form.cleaned_data["to_cadre"].pk)
    return render(request, "beneficiaries/simple_form.html", {
        "form": form, "title": _("批量移交结对户：%(c)s") % {"c": cadre.name}, "submit": _("确认移交"),
        "intro": _("%(c)s 当前结对 %(n)d 户，将全部移交给接收干部，结对日期为今天。") % {"c": cadre.name, "n": cadre.load_total},
        "back": reverse("beneficiaries:cadre_detail", args=[cadre.pk]),
    })


# --- import / export ---------------------------------------------------------------------------


@login_required
def roster_import(request: HttpRequest) -> HttpResponse:
    """Upload → an import job (imports.jobs): checked at once for a small file, by a task for a
    large one; its page shows the preview or every error, and confirming writes all or nothing."""
    _require(actions.can_edit_roster(request.user))
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        from imports import jobs

        upload = form.cleaned_data["file"]
        job = jobs.start(kind="roster", user=request.user, filename=upload.name, content=upload.read())
        return redirect("imports:job", job.pk)
    return render(request, "beneficiaries/import.html", {"form": form})


def _file_response(content: bytes, filename: str, fmt: str) -> HttpResponse:
    from urllib.parse import quote

    ctype = "text/csv; charset=utf-8" if fmt == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(content, content_type=ctype)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@login_required
def roster_template(request: HttpRequest) -> HttpResponse:
    fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
    if fmt == "csv":
        content = roster_io.write_csv(roster_io.HEADERS, [])
    else:
        content = roster_io.write_xlsx(roster_io.TEMPLATE_TITLE, roster_io.HEADERS, [], notes=roster_io.template_notes())
    return _file_response(content, f"{roster_io.TEMPLATE_TITLE}.{fmt}", fmt)


@login_required
def roster_export(request: HttpRequest) -> HttpResponse:
    """特殊困难群体关爱台账: the filtered roster, one row per person, masked unless a revealing role
    asks for full numbers (then audited as a reveal as well as an export). Up to
    imports.exports.INLINE_ROWS people (per format) it streams in the request; above, a background job writes
    it and the user is sent to the job's page (progress, then the download for 24 hours)."""
    from imports import exports as export_jobs

    form, households = roster_exports.roster_households(request.user, request.GET)
    if request.GET.get("area") and not form.is_valid() and "area" in form.errors:
        raise Http404  # an area outside the user's scope: not found, never the whole scope instead
    full = request.GET.get("full_ids") == "1"
    if full and not _can_export_full(request.user):
        raise PermissionDenied
    if full and not second_factor_passed(request.user):
        return ask_for_second_factor(request, request.get_full_path())  # step-up before full numbers leave
    fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
    filename = f"{roster_io.ROSTER_TITLE}_{timezone.localdate():%Y%m%d}.{fmt}"
    filters = request.GET.dict()
    if len(idnumber.normalize(filters.get("q", ""))) == 18:
        filters["q"] = idnumber.mask(idnumber.normalize(filters["q"]))  # the audit log never holds a full number
    details = {"report": roster_io.ROSTER_TITLE, "rows": roster_exports.person_count(households),
               "filters": filters, "full_ids": full}
    job = None
    if details["rows"] > export_jobs.INLINE_ROWS[fmt]:
        job = export_jobs.start(kind="roster", title=roster_io.ROSTER_TITLE, user=request.user, fmt=fmt,
                                filename=filename, params={"query": request.GET.urlencode(), "full_ids": full})
        details["job"] = str(job.pk)
    audit_record(actor=request.user, action=AuditAction.EXPORT, object_type="beneficiaries.household",
                 object_repr=roster_io.ROSTER_TITLE, request=request, details=details)
    if full:
        audit_record(actor=request.user, action=AuditAction.REVEAL, object_type="beneficiaries.person",
                     object_repr=roster_io.ROSTER_TITLE, request=request, details=details)
    if job is not None:
        return redirect("imports:export", job.pk)
    return sheets.file_response(roster_exports.roster_content(households, full=full, fmt=fmt), filename, fmt)


@login_required
def pairing_export(request: HttpRequest) -> HttpResponse:
    """结对帮扶关爱台账: pairings of the households in scope (active, or all with ?all=1)."""
    pairings = scope_queryset(request.user, Pairing.objects.all())
    if request.GET.get("all") != "1":
        pairings = pairings.filter(ended_on__isnull=True)
    rows = roster_io.iter_pairing_rows(pairings)
    fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
    content = sheets.csv_stream(roster_io.PAIRING_HEADERS, rows) if fmt == "csv" else \
        sheets.xlsx_file([roster_io.roster_sheet(roster_io.PAIRING_TITLE, roster_io.PAIRING_HEADERS, rows)])
    audit_record(actor=request.user, action=AuditAction.EXPORT, object_type="beneficiaries.pairing",
                 object_repr=roster_io.PAIRING_TITLE, request=request,
                 details={"report": roster_io.PAIRING_TITLE, "rows": pairings.count()})
    return sheets.file_response(content, f"{roster_io.PAIRING_TITLE}_{timezone.localdate():%Y%m%d}.{fmt}", fmt)


# --- quarterly dynamic adjustment (动态调整) ------------------------------------------------------


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    """The counties in scope, each with this quarter's review (or a button to start it), and past reviews."""
    _require(actions.can_classify(request.user))
    year, quarter = rules.quarter_of(timezone.localdate())
    reviews = list(queries.reviews_for_user(request.user))
    current = {r.county_id: r for r in reviews if (r.year, r.quarter) == (year, quarter)}
    counties = [(c, current.get(c.code)) for c in queries.review_counties(request.user)]
    return render(request, "beneficiaries/review_list.html", {
        "counties": counties, "reviews": reviews, "year": year, "quarter": quarter,
    })


@login_required
@require_POST
def review_start(request: HttpRequest) -> HttpResponse:
    county = get_object_for_user(request.user, Area.objects.filter(level=AreaLevel.COUNTY),
                                 code=request.POST.get("county", ""))
    _require(actions.can_classify(request.user))
    try:
        review = actions.quarterly_review_start(actor=request.user, county=county, today=timezone.localdate(),
                                                request=request)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("beneficiaries:review_list")
    return redirect("beneficiaries:review_detail", review.pk)


def _review_page(request: HttpRequest, review, form: ReviewCompleteForm) -> HttpResponse:
    from .review_pages import paged_lists

    lists = queries.review_lists(request.user, review, timezone.localdate())
    return render(request, "beneficiaries/review_detail.html", {
        "review": review, "lists": lists, "counts": lists.counts, "form": form,
        "pages": paged_lists(request, lists),
    })


@login_required
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = queries.get_review_for_user(request.user, pk)
    _require(actions.can_classify(request.user))
    audit_record(actor=request.user, action=AuditAction.VIEW, obj=review, request=request)
    return _review_page(request, review, ReviewCompleteForm())


@login_required
@require_POST
def review_complete(request: HttpRequest, pk: int) -> HttpResponse:
    review = queries.get_review_for_user(request.user, pk)
    _require(actions.can_classify(request.user))
    if review.is_completed:  # a second press of 完成 (or a colleague's a moment ago): the page of what was done
        return already_done(request, "beneficiaries:review_detail", review.pk, detail=_(
            "%(y)d年第%(q)d季度动态调整已于%(t)s由%(u)s完成。") % {
                "y": review.year, "q": review.quarter,
                "t": timezone.localtime(review.completed_at).strftime("%Y-%m-%d %H:%M"),
                "u": review.completed_by.real_name or review.completed_by.username if review.completed_by else ""})
    form = ReviewCompleteForm(request.POST)
    if form.is_valid():
        counts = queries.review_lists(request.user, review, timezone.localdate()).counts
        try:
            actions.quarterly_review_complete(actor=request.user, review=review, summary=form.cleaned_data["summary"],
                                              counts=counts, request=request)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                _apply_errors(form, exc)
            else:  # completed by a colleague a moment ago: the page of what was done
                return already_done(request, "beneficiaries:review_detail", review.pk, detail="；".join(exc.messages))
        else:
            messages.success(request, _("已完成%(y)d年第%(q)d季度动态调整。") % {"y": review.year, "q": review.quarter})
            return redirect("beneficiaries:review_detail", review.pk)
    return _review_page(request, review, form)


@login_required
def review_export(request: HttpRequest, pk: int) -> HttpResponse:
    """季度动态调整清单: the five lists as one workbook, ID numbers masked; audited."""
    review = queries.get_review_for_user(request.user, pk)
    _require(actions.can_classify(request.user))
    lists = queries.review_lists(request.user, review, timezone.localdate())
    content = review_io.review_workbook(lists)
    audit_record(actor=request.user, action=AuditAction.EXPORT, obj=review, request=request,
                 details={"report": review_io.REVIEW_TITLE, "counts": lists.counts})
    name = f"{review_io.REVIEW_TITLE}_{review.county.name}_{review.year}Q{review.quarter}.xlsx"
    return _file_response(content, name, "xlsx")

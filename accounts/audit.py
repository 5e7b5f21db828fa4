"""Reading the audit log (docs/security.md "审计日志"): every event resolved to the area and the
household of the record it names, so that county and prefecture staff see the events of their own
area, and can ask who viewed, revealed or exported one person's (household's) record.

The log itself is append-only (trigger) and the application role may only INSERT and SELECT it:
nothing in the application deletes an audit row, so retention is unlimited (≥ 180 days)."""

from __future__ import annotations

import datetime as dt
from functools import cache

from django.apps import apps
from django.db import models
from django.db.models import BigIntegerField, Case, F, OuterRef, Q, Subquery, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from .models import AreaLevel, AuditAction, AuditEvent, Role, User
from .scoping import PREFIX_LENGTH, user_roles

VIEWER_ROLES = (Role.COUNTY, Role.PREFECTURE)
HOUSEHOLD_SUFFIX = "village__code"
# Events about a person's record (the page's default): views, reveals, exports and changes.
PERSONAL_ACTIONS = [AuditAction.VIEW, AuditAction.REVEAL, AuditAction.EXPORT, AuditAction.CHANGE, AuditAction.CREATE]


@cache
def _scoped_models() -> list[tuple[str, type[models.Model], str, str | None]]:
    """(object_type, model, area path, household path or None) of every model with an area scope
    rule and an integer primary key — the records audit events name by id."""
    found = []
    for model in apps.get_models():
        rule = getattr(model, "scope_rule", None)
        area = getattr(rule, "area", None)
        if isinstance(area, tuple):
            area = area[0]  # a row reached through several areas is audited under the first
        if not area or not isinstance(model._meta.pk, (models.AutoField, models.BigAutoField)):
            continue
        household = None
        if model._meta.label_lower == "beneficiaries.household":
            household = "pk"
        elif area.endswith("household__" + HOUSEHOLD_SUFFIX):
            household = area[: -len("__" + HOUSEHOLD_SUFFIX)]
        found.append((model._meta.label_lower, model, area, household))
    return found


def _object_pk():
    return Case(When(object_id__regex=r"^[0-9]{1,18}$", then=Cast("object_id", BigIntegerField())), default=None,
                output_field=BigIntegerField())


def annotated() -> models.QuerySet[AuditEvent]:
    """AuditEvents with `area_code` (of the record, or the `area` a report names) and
    `household_pk` (when the record belongs to a household). For display: the page computes them
    for its 50 rows only; filtering goes through scope_q()/household_q(), which use set lookups."""
    area_whens, household_whens = [], []
    for label, model, area, household in _scoped_models():
        rows = model._base_manager.filter(pk=OuterRef("object_pk")).order_by()
        area_whens.append(When(object_type=label, then=Subquery(rows.values(area)[:1])))
        if household == "pk":
            household_whens.append(When(object_type=label, then=F("object_pk")))
        elif household:
            household_whens.append(When(object_type=label, then=Subquery(rows.values(household)[:1])))
    details_area = KeyTextTransform("area", "details")
    return AuditEvent.objects.annotate(object_pk=_object_pk()).annotate(
        area_code=Coalesce(Case(*area_whens, default=None, output_field=models.CharField()), details_area,
                           output_field=models.CharField()),
        household_pk=Case(*household_whens, default=None, output_field=BigIntegerField()),
    )


def scope_q(prefixes: list[str]) -> Q:
    """Events naming a record of a scoped model under one of `prefixes`, or a report of such an
    area — per record type one `IN (SELECT pk …)`, which PostgreSQL hashes once per query."""
    area_prefix = Q()
    for prefix in prefixes:
        area_prefix |= Q(details__area__startswith=prefix)
    scope = area_prefix
    for label, model, area, _household in _scoped_models():
        inside = Q()
        for prefix in prefixes:
            inside |= Q(**{f"{area}__startswith": prefix})
        scope |= Q(object_type=label, object_pk__in=model._base_manager.filter(inside).order_by().values("pk"))
    return scope


def household_q(household_ids: list[int]) -> Q:
    """Events naming one of these households or a record belonging to one (member, visit,
    finding, referral, custody account …). The ids are looked up first (few), so the events are
    found through the (object_type, object_id) index."""
    found = Q(pk__in=[])
    for label, model, _area, household in _scoped_models():
        if household == "pk":
            ids = household_ids
        elif household:
            ids = list(model._base_manager.filter(**{f"{household}__in": household_ids}).order_by()
                       .values_list("pk", flat=True)[:10_000])
        else:
            continue
        if ids:
            found |= Q(object_type=label, object_id__in=[str(i) for i in ids])
    return found


def can_read(user: User) -> bool:
    return user.is_superuser or any(r.role in VIEWER_ROLES for r in user_roles(user))


def reader_prefixes(user: User) -> list[str] | None:
    """Code prefixes whose events the user may read; None = the whole prefecture, also events
    that name no area (logins, settings)."""
    if user.is_superuser:
        return None
    roles = [r for r in user_roles(user) if r.role in VIEWER_ROLES and r.area]
    if any(r.area.level == AreaLevel.PREFECTURE for r in roles):
        return None
    return sorted({r.area.code[: PREFIX_LENGTH[r.area.level]] for r in roles})


def events_for(user: User, *, household_ids: list[int] | None = None, actor: str = "", action: str = "",
               object_type: str = "", since: dt.date | None = None, until: dt.date | None = None,
               ) -> models.QuerySet[AuditEvent]:
    """The audit events `user` may read, filtered; newest first (without the display
    annotations: pass a page through with_display())."""
    qs = AuditEvent.objects.annotate(object_pk=_object_pk())
    prefixes = reader_prefixes(user)
    if prefixes is not None:
        if not prefixes:
            return qs.none()
        qs = qs.filter(scope_q(prefixes))
    if household_ids is not None:
        qs = qs.filter(household_q(household_ids))
    if actor:
        qs = qs.filter(Q(actor__username=actor) | Q(actor__real_name__contains=actor))
    if action:
        qs = qs.filter(action=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if since:
        qs = qs.filter(at__gte=_day_start(since))
    if until:
        qs = qs.filter(at__lt=_day_start(until + dt.timedelta(days=1)))
    return qs.order_by("-at", "-id")


def with_display(events: list[AuditEvent]) -> list[AuditEvent]:
    """The same events (one page) with actor, area_code and household_pk, in the same order."""
    rows = {e.pk: e for e in annotated().select_related("actor").filter(pk__in=[e.pk for e in events])}
    return [rows[e.pk] for e in events if e.pk in rows]


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def type_label(object_type: str) -> str:
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


def type_choices() -> list[tuple[str, str]]:
    seen = {label: type_label(label) for label, *_ in _scoped_models()}
    return sorted(seen.items(), key=lambda item: item[1])


def oldest_event() -> dt.datetime | None:
    return AuditEvent.objects.order_by("at").values_list("at", flat=True).first()


"""The one access rule: (user, queryset) → the rows that user may see.

Every list, detail, export and admin view goes through `scope_queryset` (or
`get_object_for_user`, which turns "not in scope" into a 404, never a 403 that would confirm
the row exists).

A model opts in by declaring `scope_rule = ScopeRule(...)`:
- `area`: the lookup path to an Area code, ending in `__code` (e.g. "household__village__code";
  Django trims the join to the foreign-key column, and an FK column itself takes no
  `startswith`), or a tuple of such paths when a row is reached through more than one area (a
  reserve-fund entry: the fund's county, or the paid household's village) — area roles
  (village committee, township, county, prefecture) see rows whose code starts with the
  significant prefix of their area;
- `assignment`: a function (user) → Q for rows reached by assignment rather than area —
  a cadre's paired households, a liaison's department referrals, a supervisor's sample.
A model without a rule is visible to nobody but superusers through this function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import TypeVar

from django.db import models
from django.http import Http404

from .areacodes import PREFECTURE_PREFIX
from .models import AREA_ROLES, PREFIX_LENGTH, Area, Role, RoleAssignment, User

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class ScopeRule:
    area: str | tuple[str, ...] | None = None
    assignment: Callable[[User], models.Q | None] | None = None


def user_roles(user: User) -> list[RoleAssignment]:
    """The user's role assignments, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_care_roles", None)
    if cached is None:
        cached = list(user.roles.select_related("area", "department").order_by("role", "area_id"))
        user._care_roles = cached
    return cached


def has_role(user: User, *roles: str) -> bool:
    return any(r.role in roles for r in user_roles(user))


def area_prefixes(user: User, roles: Iterable[str] = AREA_ROLES) -> list[str]:
    """Significant code prefixes of the areas the user oversees through area roles."""
    if getattr(user, "is_superuser", False):
        return [PREFECTURE_PREFIX]
    prefixes = {r.area.code[: PREFIX_LENGTH[r.area.level]] for r in user_roles(user) if r.role in roles and r.area}
    # Drop prefixes already covered by a shorter one (a county role makes its township role moot).
    return sorted(p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes))


def prefix_q(path: str, prefixes: Iterable[str]) -> models.Q | None:
    qs = [models.Q(**{f"{path}__startswith": p}) for p in prefixes]
    return reduce(or_, qs) if qs else None


def scope_q(user: User, model: type[models.Model]) -> models.Q | None:
    """The filter that limits `model` to what `user` may see; None means nothing."""
    rule: ScopeRule | None = getattr(model, "scope_rule", None)
    if rule is None:
        return None
    parts: list[models.Q] = []
    if rule.area is not None:
        prefixes = area_prefixes(user)
        for path in (rule.area,) if isinstance(rule.area, str) else rule.area:
            q = prefix_q(path, prefixes)
            if q is not None:
                parts.append(q)
    if rule.assignment is not None:
        q = rule.assignment(user)
        if q is not None:
            parts.append(q)
    return reduce(or_, parts) if parts else None


def scope_queryset(user: User, queryset: models.QuerySet[M]) -> models.QuerySet[M]:
    """The rows of `queryset` that `user` may see."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    q = scope_q(user, queryset.model)
    return queryset.filter(q) if q is not None else queryset.none()


def get_object_for_user(user: User, queryset: models.QuerySet[M] | type[M], **lookup) -> M:
    """Fetch one row in the user's scope, or raise 404 — the same 404 as a row that does not exist."""
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    try:
        return scope_queryset(user, queryset).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def visible_areas(user: User) -> models.QuerySet[Area]:
    """Areas the user works in: those under their area roles and the area of any cadre role."""
    return scope_queryset(user, Area.objects.all())


def _area_assignment(user: User) -> models.Q | None:
    # Cadres, liaisons and supervisors may browse the areas their own role is bound to.
    codes = [
        r.area.code[: PREFIX_LENGTH[r.area.level]]
        for r in user_roles(user)
        if r.area and r.role in (Role.CADRE, Role.FINANCIAL_SUPERVISOR)
    ]
    return prefix_q("code", codes)


Area.scope_rule = ScopeRule(area="code", assignment=_area_assignment)

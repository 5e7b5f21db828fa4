"""Read side of accounts: areas a user may browse, with counts."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import CHILD_LEVEL, Area, AreaLevel, User
from .scoping import get_object_for_user, scope_queryset, user_roles


def get_area_for_user(user: User, code: str) -> Area:
    return get_object_for_user(user, Area.objects.select_related("parent"), code=code)


def top_areas_for_user(user: User) -> QuerySet[Area]:
    """The highest areas the user may browse: their own role areas (no ancestors shown)."""
    if user.is_superuser:
        return Area.objects.filter(level=AreaLevel.PREFECTURE)
    codes = {r.area_id for r in user_roles(user) if r.area_id}
    return scope_queryset(user, Area.objects.filter(code__in=codes)).order_by("code")


def child_areas_for_user(user: User, area: Area) -> QuerySet[Area]:
    child_level = CHILD_LEVEL.get(area.level)
    if child_level is None:
        return Area.objects.none()
    return scope_queryset(user, Area.objects.filter(parent=area, level=child_level)).order_by("code")

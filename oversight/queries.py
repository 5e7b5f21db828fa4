"""Read side of oversight: figures per county (or per township inside a county), set-based."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q

from accounts import areacodes
from accounts.areacodes import AncestorCode
from accounts.models import Area, User
from accounts.scoping import area_prefixes, scope_queryset
from beneficiaries.models import Household, HouseholdStatus, Pairing


@dataclass
class AreaFigures:
    area: Area
    households: int
    tier_a: int
    tier_b: int
    tier_c: int
    unclassified: int
    paired: int

    @property
    def paired_percent(self) -> int:
        return round(100 * self.paired / self.households) if self.households else 0


def roster_by_area(user: User) -> list[AreaFigures]:
    """Active households per county (prefecture users) or per township (county users), with tier
    mix and pairing coverage — one grouped query over the scoped roster."""
    prefixes = area_prefixes(user)
    if not prefixes:
        return []
    # Prefecture users see counties; anyone narrower sees the townships of their county.
    level = "county" if min(len(p) for p in prefixes) <= areacodes.PREFIX_LENGTH["prefecture"] else "township"
    households = scope_queryset(user, Household.objects.filter(status=HouseholdStatus.ACTIVE))
    rows = (
        households.annotate(
            group=AncestorCode("village_id", level),
            is_paired=Exists(Pairing.objects.filter(household=OuterRef("pk"), ended_on__isnull=True)),
        )
        .values("group")
        .annotate(
            households=Count("id"),
            tier_a=Count("id", filter=Q(tier="A")),
            tier_b=Count("id", filter=Q(tier="B")),
            tier_c=Count("id", filter=Q(tier="C")),
            unclassified=Count("id", filter=Q(tier="")),
            paired=Count("id", filter=Q(is_paired=True)),
        )
    )
    by_group = {r["group"]: r for r in rows}
    areas = scope_queryset(user, Area.objects.filter(level=level)).order_by("code")
    out = []
    for area in areas:
        r = by_group.get(area.code, {})
        out.append(
            AreaFigures(
                area=area,
                households=r.get("households", 0),
                tier_a=r.get("tier_a", 0),
                tier_b=r.get("tier_b", 0),
                tier_c=r.get("tier_c", 0),
                unclassified=r.get("unclassified", 0),
                paired=r.get("paired", 0),
            )
        )
    return out

"""Read side of the roster: scoped, annotated, set-based querysets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import Area, AreaLevel, User
from accounts.scoping import get_object_for_user, scope_queryset

from . import idnumber, rules
from .models import (
    JUDGEMENT_CRITERIA,
    Cadre,
    CarePlan,
    Classification,
    Household,
    HouseholdStatus,
    Pairing,
    Person,
    QuarterlyReview,
    Relation,
)

# Visits a month each tier implies (SPEC §7 monthly minimum: A 3, B 2, C 1).
MONTHLY_VISITS = {"A": 3, "B": 2, "C": 1}


@dataclass
class RosterFilters:
    area: str = ""  # an area code; households whose village lies under it
    tier: str = ""  # A / B / C / "none" (not yet classified)
    criterion: str = ""
    paired: str = ""  # "yes" / "no"
    benefit: str = ""
    status: str = HouseholdStatus.ACTIVE  # active / exited / all
    q: str = ""
    cadre: int | None = None
    extra: dict = field(default_factory=dict)


def _active_pairing(field_name: str) -> Subquery:
    return Subquery(
        Pairing.objects.filter(household=OuterRef("pk"), ended_on__isnull=True).values(field_name)[:1]
    )


def roster_households(user: User, filters: RosterFilters | None = None) -> QuerySet[Household]:
    """The households the user may see, filtered, each annotated with its head, size and
    current cadre — one query for the page, however many rows."""
    f = filters or RosterFilters()
    head = Person.objects.filter(household=OuterRef("pk"), relation=Relation.HEAD)
    qs = scope_queryset(user, Household.objects.all()).select_related("village", "village__parent").annotate(
        head_name=Subquery(head.values("name")[:1]),
        head_id_number=Subquery(head.values("id_number")[:1]),
        member_count=Coalesce(
            Subquery(
                Person.objects.filter(household=OuterRef("pk")).values("household").annotate(n=Count("id")).values("n")[:1]
            ),
            0,
        ),
        cadre_name=_active_pairing("cadre__name"),
        cadre_phone=_active_pairing("cadre__phone"),
        cadre_pk=_active_pairing("cadre_id"),
    )
    if f.status in (HouseholdStatus.ACTIVE, HouseholdStatus.EXITED):
        qs = qs.filter(status=f.status)
    if f.area:
        qs = qs.filter(village__code__startswith=_area_prefix(f.area))
    if f.tier == "none":
        qs = qs.filter(tier="")
    elif f.tier:
        qs = qs.filter(tier=f.tier)
    if f.criterion:
        qs = qs.filter(criteria__contains=[f.criterion])
    if f.paired in ("yes", "no"):
        has = Exists(Pairing.objects.filter(household=OuterRef("pk"), ended_on__isnull=True))
        qs = qs.filter(has if f.paired == "yes" else ~has)
    if f.benefit:
        qs = qs.filter(Exists(Person.objects.filter(household=OuterRef("pk"), benefit_status=f.benefit)))
    if f.cadre:
        qs = qs.filter(Exists(Pairing.objects.filter(household=OuterRef("pk"), cadre_id=f.cadre, ended_on__isnull=True)))
    if f.q:
        qs = qs.filter(_search_q(f.q.strip()))
    return qs.order_by("village_id", "code")


def _area_prefix(code: str) -> str:
    area = Area.objects.filter(code=code).first()
    return area.prefix if area else code


def _search_q(term: str) -> Q:
    """Household code, a member's name or phone, or a member's full ID number (exact: a full
    number is what finds one person; the masked form shows nothing worth searching)."""
    number = idnumber.normalize(term)
    if len(number) == 18:
        return Q(Exists(Person.objects.filter(household=OuterRef("pk"), id_number=number)))
    return (
        Q(code__icontains=term)
        | Q(Exists(Person.objects.filter(household=OuterRef("pk"), name__icontains=term)))
        | Q(Exists(Person.objects.filter(household=OuterRef("pk"), phone=term)))
    )


def get_household_for_user(user: User, pk: int) -> Household:
    return get_object_for_user(user, Household.objects.select_related("village", "village__parent", "agency"), pk=pk)


def household_page(household: Household) -> dict:
    """Everything the household page shows, in a fixed number of queries."""
    members = list(household.members.all())
    members.sort(key=lambda p: (p.relation != Relation.HEAD, p.id))
    return {
        "members": members,
        "classifications": list(
            Classification.objects.filter(household=household).select_related("decided_by").order_by("-effective_on", "-id")
        ),
        "pairings": list(Pairing.objects.filter(household=household).select_related("cadre", "created_by")),
        "plan": CarePlan.objects.filter(household=household).select_related("updated_by").first(),
    }


def active_pairing(household: Household) -> Pairing | None:
    return Pairing.objects.filter(household=household, ended_on__isnull=True).select_related("cadre").first()


def door_card_households(user: User) -> QuerySet[Household]:
    """Households with their head and current cadre prefetched (door cards): three queries."""
    return (
        scope_queryset(user, Household.objects.all())
        .select_related("village", "village__parent")
        .prefetch_related(
            Prefetch("pairings", queryset=Pairing.objects.filter(ended_on__isnull=True).select_related("cadre"),
                     to_attr="active_pairings"),
            Prefetch("members", queryset=Person.objects.filter(relation=Relation.HEAD), to_attr="heads"),
        )
        .order_by("code")
    )


def village_households(user: User, village: Area) -> QuerySet[Household]:
    """Active households of one village, for the door-card print-all."""
    return door_card_households(user).filter(village=village, status=HouseholdStatus.ACTIVE)


# --- cadres ------------------------------------------------------------------------------------


def _load_annotations() -> dict:
    active = Q(pairings__ended_on__isnull=True, pairings__household__status=HouseholdStatus.ACTIVE)
    return {
        "load_a": Count("pairings", filter=active & Q(pairings__household__tier="A")),
        "load_b": Count("pairings", filter=active & Q(pairings__household__tier="B")),
        "load_c": Count("pairings", filter=active & Q(pairings__household__tier="C")),
        "load_total": Count("pairings", filter=active),
    }


def cadre_directory(user: User, *, q: str = "", area: str = "", kind: str = "", active: str = "yes") -> QuerySet[Cadre]:
    """Cadres in scope with their load: households by tier (one grouped query)."""
    qs = scope_queryset(user, Cadre.objects.all()).select_related("home_village", "agency").annotate(**_load_annotations())
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(phone__contains=q) | Q(work_unit__icontains=q))
    if area:
        qs = qs.filter(home_village__code__startswith=_area_prefix(area))
    if kind:
        qs = qs.filter(kind=kind)
    if active in ("yes", "no"):
        qs = qs.filter(active=active == "yes")
    return qs.order_by("home_village_id", "name", "id")


def monthly_visits(load_a: int, load_b: int, load_c: int) -> int:
    return MONTHLY_VISITS["A"] * load_a + MONTHLY_VISITS["B"] * load_b + MONTHLY_VISITS["C"] * load_c


def get_cadre_for_user(user: User, pk: int) -> Cadre:
    qs = Cadre.objects.select_related("home_village", "agency", "user").annotate(**_load_annotations())
    return get_object_for_user(user, qs, pk=pk)


def cadres_for_pairing(user: User) -> QuerySet[Cadre]:
    """Active cadres the user may pair households with (in scope)."""
    return scope_queryset(user, Cadre.objects.filter(active=True)).select_related("home_village").order_by("name", "id")


def villages_for_user(user: User) -> QuerySet[Area]:
    return scope_queryset(user, Area.objects.filter(level=AreaLevel.VILLAGE)).select_related("parent").order_by("code")


def areas_for_filter(user: User) -> QuerySet[Area]:
    """Townships and villages the user may filter by."""
    return scope_queryset(
        user, Area.objects.filter(level__in=[AreaLevel.COUNTY, AreaLevel.TOWNSHIP, AreaLevel.VILLAGE])
    ).order_by("code")


# --- quarterly dynamic adjustment (动态调整) ------------------------------------------------------


def review_counties(user: User) -> QuerySet[Area]:
    """Counties whose quarterly review the user may run (their own, or all for the bureau)."""
    return scope_queryset(user, Area.objects.filter(level=AreaLevel.COUNTY)).order_by("code")


def reviews_for_user(user: User) -> QuerySet[QuarterlyReview]:
    return scope_queryset(user, QuarterlyReview.objects.all()).select_related("county", "started_by", "completed_by")


def get_review_for_user(user: User, pk: int) -> QuarterlyReview:
    return get_object_for_user(user, reviews_for_user(user), pk=pk)


@dataclass
class ReviewLists:
    """What a county works through in a quarter's review. Households carry `head_id_masked`;
    mismatched ones carry `suggestion`, gaps carry `unpaired`."""

    start: date
    end: date
    mismatched: list[Household]
    entered: list[Household]
    exited: list[Household]
    tier_changes: list[Classification]
    gaps: list[Household]

    @property
    def counts(self) -> dict[str, int]:
        return {
            "mismatched": len(self.mismatched), "entered": len(self.entered), "exited": len(self.exited),
            "tier_changes": len(self.tier_changes), "gaps": len(self.gaps),
        }


def review_lists(user: User, review: QuarterlyReview, today: date) -> ReviewLists:
    """The five lists of a review, each one query (plus one for the members whose facts the
    suggestions are computed from) however many households the county has.

    (a) active, classified households whose tier differs from today's suggestion — unless the
        tier was confirmed during this quarter against that same suggestion (a deliberate
        override with a reason, already reviewed);
    (b) households registered during the quarter; (c) households exited during the quarter;
    (d) tier changes decided during the quarter; (e) active households not yet classified or
    without an active pairing."""
    start, end = rules.quarter_bounds(review.year, review.quarter)
    base = roster_households(user, RosterFilters(status="all")).filter(
        village__code__startswith=review.county.prefix
    )

    latest = Classification.objects.filter(household=OuterRef("pk")).order_by("-effective_on", "-id")
    classified = base.filter(status=HouseholdStatus.ACTIVE).exclude(tier="").annotate(
        last_suggested=Subquery(latest.values("suggested_tier")[:1]),
        last_decided_on=Subquery(latest.values("effective_on")[:1]),
    )
    candidates = list(classified)
    facts: dict[int, list[rules.MemberFacts]] = {}
    for p in Person.objects.filter(household__in=classified.values("pk")):
        facts.setdefault(p.household_id, []).append(rules.MemberFacts.of(p))
    mismatched = []
    for h in candidates:
        h.suggestion = rules.suggest(facts.get(h.pk, []), today)
        if h.suggestion.tier == h.tier:
            continue
        # Decided on an officer's judgement (A3, B4, C2) and no fact-based criterion met: there
        # is no suggestion to disagree with — the judgement stands (its reason is on record).
        if not h.suggestion.tier and h.criteria and set(h.criteria) <= JUDGEMENT_CRITERIA:
            continue
        # What no longer holds: the fact-based criteria of the current decision the facts miss.
        h.unmet = [c for c in h.criteria if c not in JUDGEMENT_CRITERIA and c not in h.suggestion.all_met]
        kept = h.last_decided_on is not None and h.last_decided_on >= start and h.last_suggested == h.suggestion.tier
        if not kept:
            mismatched.append(h)

    entered = list(base.filter(created_at__date__range=(start, end)))
    exited = list(base.filter(status=HouseholdStatus.EXITED, exited_on__range=(start, end)))
    gaps = list(
        base.filter(status=HouseholdStatus.ACTIVE).filter(
            Q(tier="") | ~Exists(Pairing.objects.filter(household=OuterRef("pk"), ended_on__isnull=True))
        )
    )
    for h in gaps:
        h.unpaired = h.cadre_pk is None
    for h in (*mismatched, *entered, *exited, *gaps):
        h.head_id_masked = idnumber.mask(h.head_id_number)

    tier_changes = list(
        scope_queryset(user, Classification.objects.filter(
            effective_on__range=(start, end), household__village__code__startswith=review.county.prefix,
        ))
        .exclude(from_tier=F("tier"))
        .select_related("household", "household__village", "decided_by")
        .annotate(head_name=Subquery(Person.objects.filter(household=OuterRef("household_id"), relation=Relation.HEAD)
                                     .order_by("id").values("name")[:1]))
        .order_by("effective_on", "id")
    )
    return ReviewLists(start=start, end=end, mismatched=mismatched, entered=entered, exited=exited,
                       tier_changes=tier_changes, gaps=gaps)


def head_name_subquery() -> Subquery:
    """The head of household's name, as a subquery over a household queryset's `pk`."""
    return Subquery(
        Person.objects.filter(household=OuterRef("pk"), relation=Relation.HEAD).values("name")[:1]
    )

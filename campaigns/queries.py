"""Read side of campaigns: scoped, annotated, set-based."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)

from accounts.areacodes import PREFIX_LENGTH, AncestorCode
from accounts.models import CHILD_LEVEL, Area, AreaLevel, User
from accounts.scoping import get_object_for_user, scope_queryset
from beneficiaries.models import Household, HouseholdStatus, Person, Relation, SelfCare

from .models import (
    Assessor,
    Campaign,
    CampaignHousehold,
    CampaignKind,
    CampaignNeed,
    Delivery,
    Donation,
    Item,
    NeedStatus,
    StockEntry,
    WaterAlert,
    WaterDelivery,
)

# A member who cannot fetch water or go out for help alone (行动不便): semi-/fully disabled, or a
# severe (grade 1–2) physical, visual or multiple disability.
LIMITED_MOBILITY = Q(self_care__in=[SelfCare.PARTIAL, SelfCare.NONE]) | Q(
    disability_type__in=["physical", "visual", "multiple"], disability_grade__lte=2
)


def head_name():
    return Subquery(Person.objects.filter(household=OuterRef("household_id"), relation=Relation.HEAD)
                    .values("name")[:1])


# --- campaigns ---------------------------------------------------------------------------------


def campaigns_for(user: User) -> QuerySet[Campaign]:
    return scope_queryset(user, Campaign.objects.select_related("area", "declared_by")).order_by("-starts_on", "-id")


def get_campaign_for_user(user: User, pk: int) -> Campaign:
    return get_object_for_user(user, Campaign.objects.select_related("area"), pk=pk)


def campaign_prefixes(campaign: Campaign) -> list[str]:
    """Code prefixes of the villages a campaign covers (its areas, else its whole area)."""
    areas = list(campaign.areas.all()) or [campaign.area]
    return [a.code[: PREFIX_LENGTH[a.level]] for a in areas]


def households_in_scope(campaign: Campaign) -> QuerySet[Household]:
    """Active households of the campaign's areas in its target group: every household of the
    `tiers`, and those of the `limited_mobility_tiers` with a member of limited mobility."""
    where = reduce(or_, [Q(village__code__startswith=p) for p in campaign_prefixes(campaign)])
    target = Q(tier__in=campaign.tiers) if campaign.tiers else Q(pk__in=[])
    if campaign.limited_mobility_tiers:
        limited = Person.objects.filter(LIMITED_MOBILITY, household=OuterRef("pk"))
        target |= Q(Exists(limited), tier__in=campaign.limited_mobility_tiers)
    return Household.objects.filter(where, target, status=HouseholdStatus.ACTIVE)


def running(today: dt.date) -> Q:
    return Q(starts_on__lte=today, ends_on__gte=today)


def rows_for(user: User, campaign: Campaign) -> QuerySet[CampaignHousehold]:
    """The campaign's households the user may see, with head name and village."""
    return (
        scope_queryset(user, CampaignHousehold.objects.filter(campaign=campaign))
        .select_related("household", "household__village", "assessed_by")
        .annotate(head_name=head_name())
    )


def get_row_for_user(user: User, pk: int) -> CampaignHousehold:
    return get_object_for_user(
        user, CampaignHousehold.objects.select_related("campaign", "household", "household__village")
        .annotate(head_name=head_name()), pk=pk)


def assessments_open_for(household: Household, today: dt.date) -> list[CampaignHousehold]:
    """The campaigns running today whose visit questions this household answers (cadre-assessed
    campaigns that include it), for the visit form."""
    return list(
        CampaignHousehold.objects.filter(household=household, campaign__assessor="cadre")
        .filter(campaign__starts_on__lte=today, campaign__ends_on__gte=today)
        .select_related("campaign").order_by("campaign__assess_by", "campaign_id")
    )


def unassessed(user: User, today: dt.date) -> QuerySet[CampaignHousehold]:
    """Households of running campaigns not yet assessed, for the cadre and the village, the
    nearest deadline first."""
    return (
        scope_queryset(user, CampaignHousehold.objects.filter(assessed_on__isnull=True))
        .filter(campaign__starts_on__lte=today, campaign__ends_on__gte=today)
        .select_related("campaign", "household", "household__village")
        .annotate(head_name=head_name())
        .order_by("campaign__assess_by", "household__village_id", "household__code")
    )


def to_deliver(user: User, today: dt.date) -> QuerySet[CampaignNeed]:
    """Confirmed needs of running campaigns not yet fully delivered, for the cadre's and the
    village's offline delivery pages (docs/offline.md)."""
    return (
        scope_queryset(user, CampaignNeed.objects.filter(status=NeedStatus.CONFIRMED, delivered__lt=F("quantity")))
        .filter(campaign__starts_on__lte=today, campaign__ends_on__gte=today)
        .select_related("campaign", "household", "household__village")
        .annotate(head_name=head_name(), remaining=F("quantity") - F("delivered"))
        .order_by("campaign_id", "household__village_id", "household__code", "item")
    )


def water_schedule(user: User, today: dt.date) -> QuerySet[CampaignHousehold]:
    """Households on a running water campaign's schedule, the first due first."""
    return (
        scope_queryset(user, CampaignHousehold.objects.filter(campaign__kind=CampaignKind.WATER)
                       .exclude(can_fetch_water=True))
        .filter(campaign__starts_on__lte=today, campaign__ends_on__gte=today)
        .select_related("campaign", "household", "household__village")
        .annotate(head_name=head_name())
        .order_by(F("next_water_due_on").asc(nulls_last=True), "household__village_id", "household__code")
    )


def unassessed_households(user: User, today: dt.date) -> dict[int, str]:
    """{household id: campaign deadline} of the households still to assess in the visit (one
    query; one small one when no campaign assessed by cadres runs today — the usual case on the
    cadre's list, opened all day: the scoped query is then skipped, issue 25)."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT EXISTS (SELECT 1 FROM {Campaign._meta.db_table} WHERE starts_on <= %s AND ends_on >= %s "
                    "AND assessor = %s)", [today, today, Assessor.CADRE])
        if not cur.fetchone()[0]:
            return {}
    rows = unassessed(user, today).filter(campaign__assessor=Assessor.CADRE).values_list("household_id",
                                                                                   "campaign__assess_by")
    return {h: d for h, d in reversed(list(rows))}


# --- the board ---------------------------------------------------------------------------------


@dataclass
class BoardRow:
    code: str
    name: str
    in_scope: int
    assessed: int
    needs_confirmed: int
    delivered: int
    overdue: int


def _row_flags(today: dt.date, campaign: Campaign):
    """Annotations over CampaignHousehold: needs confirmed, delivered in full, overdue."""
    confirmed = CampaignNeed.objects.filter(campaign=campaign, household=OuterRef("household_id"),
                                            status=NeedStatus.CONFIRMED)
    if campaign.kind == CampaignKind.WATER:
        delivered = Exists(WaterDelivery.objects.filter(campaign=campaign, household=OuterRef("household_id")))
        overdue = Exists(WaterAlert.objects.filter(row=OuterRef("pk"), closed_on__isnull=True))
    else:
        delivered = Exists(confirmed) & ~Exists(confirmed.filter(delivered__lt=F("quantity")))
        overdue = Q(assessed_on__isnull=True) & Q(campaign__assess_by__lt=today)
    return {"has_confirmed": Exists(confirmed), "is_delivered": delivered, "is_overdue": overdue}


def board(user: User, campaign: Campaign, area: Area, today: dt.date) -> list[BoardRow]:
    """In scope / assessed / needs confirmed / delivered / overdue for each area one level below
    `area` (or each village), in one grouped statement."""
    child = CHILD_LEVEL.get(area.level, AreaLevel.VILLAGE)
    rows = (
        scope_queryset(user, CampaignHousehold.objects.filter(campaign=campaign))
        .filter(household__village__code__startswith=area.code[: PREFIX_LENGTH[area.level]])
        .annotate(**_row_flags(today, campaign))
        .annotate(unit=AncestorCode("household__village_id", child))
        .values("unit")
        .annotate(
            in_scope=Count("id"),
            assessed=Count("id", filter=Q(assessed_on__isnull=False)),
            needs_confirmed=Count("id", filter=Q(has_confirmed=True)),
            delivered=Count("id", filter=Q(is_delivered=True)),
            overdue=Count("id", filter=Q(is_overdue=True)),
        )
        .order_by("unit")
    )
    rows = list(rows)
    names = dict(Area.objects.filter(code__in=[r["unit"] for r in rows]).values_list("code", "name"))
    return [BoardRow(r["unit"], names.get(r["unit"], r["unit"]), r["in_scope"], r["assessed"], r["needs_confirmed"],
                     r["delivered"], r["overdue"]) for r in rows]


def board_households(user: User, campaign: Campaign, area: Area, today: dt.date, status: str = "") -> QuerySet:
    """The households behind a board cell (drill-down)."""
    rows = (
        rows_for(user, campaign)
        .filter(household__village__code__startswith=area.code[: PREFIX_LENGTH[area.level]])
        .annotate(**_row_flags(today, campaign))
    )
    filters = {"assessed": Q(assessed_on__isnull=False), "unassessed": Q(assessed_on__isnull=True),
               "confirmed": Q(has_confirmed=True), "delivered": Q(is_delivered=True), "overdue": Q(is_overdue=True)}
    if status in filters:
        rows = rows.filter(filters[status])
    return rows.order_by("household__village_id", "household__code")


def township_figures(county: Area, year: int, on: dt.date) -> list[dict]:
    """The campaigns' figures by township for the year-end assessment of townships (shown beside
    the score sheet): households in scope of campaigns begun in the year by `on`, assessed by the
    deadline, with confirmed needs, delivered in full, and water deliveries missed."""
    confirmed = CampaignNeed.objects.filter(campaign=OuterRef("campaign_id"), household=OuterRef("household_id"),
                                            status=NeedStatus.CONFIRMED)
    rows = (
        CampaignHousehold.objects.filter(household__village__code__startswith=county.code[: PREFIX_LENGTH[county.level]],
                                         campaign__starts_on__year=year, campaign__starts_on__lte=on)
        .annotate(has_confirmed=Exists(confirmed),
                  is_delivered=Exists(confirmed) & ~Exists(confirmed.filter(delivered__lt=F("quantity"))),
                  missed=Exists(WaterAlert.objects.filter(row=OuterRef("pk"), raised_on__lte=on)),
                  township=AncestorCode("household__village_id", AreaLevel.TOWNSHIP))
        .values("township")
        .annotate(in_scope=Count("id"),
                  assessed_on_time=Count("id", filter=Q(assessed_on__isnull=False,
                                                        assessed_on__lte=F("campaign__assess_by"))),
                  needs_confirmed=Count("id", filter=Q(has_confirmed=True)),
                  delivered=Count("id", filter=Q(is_delivered=True)),
                  water_missed=Count("id", filter=Q(missed=True)),
                  # 落实: assessed by the deadline, confirmed needs delivered in full, no water missed
                  done=Count("id", filter=Q(assessed_on__isnull=False, assessed_on__lte=F("campaign__assess_by"),
                                            missed=False) & (Q(has_confirmed=False) | Q(is_delivered=True))))
        .order_by("township")
    )
    rows = list(rows)
    names = dict(Area.objects.filter(code__in=[r["township"] for r in rows]).values_list("code", "name"))
    for r in rows:
        r["name"] = names.get(r["township"], r["township"])
        r["assessed_rate"] = round(100 * r["assessed_on_time"] / r["in_scope"], 1) if r["in_scope"] else None
        r["delivered_rate"] = round(100 * r["delivered"] / r["needs_confirmed"], 1) if r["needs_confirmed"] else None
        r["done_rate"] = round(100 * r["done"] / r["in_scope"], 1) if r["in_scope"] else None
    return rows


# --- needs and deliveries ------------------------------------------------------------------------


def needs_list(user: User, campaign: Campaign, area: Area | None = None) -> QuerySet[CampaignNeed]:
    rows = scope_queryset(user, CampaignNeed.objects.filter(campaign=campaign))
    if area is not None:
        rows = rows.filter(household__village__code__startswith=area.code[: PREFIX_LENGTH[area.level]])
    return (rows.select_related("household", "household__village", "confirmed_by")
            .annotate(head_name=head_name())
            .order_by("household__village_id", "household__code", "item"))


def _labelled(rows: list[dict]) -> list[dict]:
    for r in rows:
        r["item_label"] = Item(r["item"]).label
    return rows


def needs_totals(needs: QuerySet[CampaignNeed]) -> list[dict]:
    """The needs list rolled up by village and item (one statement)."""
    return _labelled(list(
        needs.order_by().values("household__village_id", "household__village__name", "item")
        .annotate(households=Count("household_id", distinct=True), quantity=Sum("quantity"),
                  delivered=Sum("delivered"),
                  confirmed=Count("id", filter=Q(status=NeedStatus.CONFIRMED)),
                  proposed=Count("id", filter=Q(status=NeedStatus.PROPOSED)))
        .order_by("household__village_id", "item")
    ))


def get_need_for_user(user: User, pk: int) -> CampaignNeed:
    return get_object_for_user(
        user, CampaignNeed.objects.select_related("campaign", "household", "household__village")
        .annotate(head_name=head_name()), pk=pk)


def deliveries_for(user: User, campaign: Campaign) -> QuerySet[Delivery]:
    return (scope_queryset(user, Delivery.objects.filter(campaign=campaign))
            .select_related("household", "household__village", "recorded_by", "need")
            .annotate(head_name=head_name())
            .order_by("household__village_id", "household__code", "delivered_on", "id"))


def water_deliveries_for(user: User, campaign: Campaign) -> QuerySet[WaterDelivery]:
    return (scope_queryset(user, WaterDelivery.objects.filter(campaign=campaign))
            .select_related("household", "household__village", "recorded_by")
            .annotate(head_name=head_name())
            .order_by("household__village_id", "household__code", "delivered_on", "id"))


def open_water_alerts(user: User) -> QuerySet[WaterAlert]:
    return (scope_queryset(user, WaterAlert.objects.filter(closed_on__isnull=True))
            .select_related("household", "household__village", "row__campaign")
            .annotate(head_name=head_name()).order_by("due_on", "id"))


# --- stock and donations ---------------------------------------------------------------------------


def stock_entries(user: User, area: Area | None = None, item: str = "") -> QuerySet[StockEntry]:
    rows = scope_queryset(user, StockEntry.objects.select_related("area", "recorded_by", "donation", "delivery", "campaign"))
    if area is not None:
        rows = rows.filter(area=area)
    if item:
        rows = rows.filter(item=item)
    return rows.order_by("area_id", "item", "seq")


def stock_on_hand(user: User) -> list[dict]:
    """Received, issued and on hand per area and item (the last entry holds the balance)."""
    entries = scope_queryset(user, StockEntry.objects.all())
    last = StockEntry.objects.filter(area=OuterRef("area"), item=OuterRef("item")).order_by("-seq")
    return _labelled(list(
        entries.order_by().values("area_id", "area__name", "item")
        .annotate(received=Sum("delta", filter=Q(delta__gt=0)), issued=-Sum("delta", filter=Q(delta__lt=0)),
                  on_hand=Subquery(last.values("balance_after")[:1]), first_on=Min("occurred_on"))
        .order_by("area_id", "item")
    ))


def donations_for(user: User) -> QuerySet[Donation]:
    return scope_queryset(user, Donation.objects.select_related("area", "campaign", "recorded_by"))


# --- the §4 lists kept by services (same columns as before campaigns) -----------------------------


def water_households(user: User, *, today: dt.date) -> QuerySet[Household]:
    """Households on a running water campaign's schedule, the longest without water first."""
    rows = CampaignHousehold.objects.filter(
        household=OuterRef("pk"), campaign__kind=CampaignKind.WATER, campaign__starts_on__lte=today,
        campaign__ends_on__gte=today)
    return (
        scope_queryset(user, Household.objects.filter(status=HouseholdStatus.ACTIVE))
        .filter(Exists(rows))
        .select_related("village")
        .annotate(
            head_name=Subquery(Person.objects.filter(household=OuterRef("pk"), relation=Relation.HEAD)
                               .values("name")[:1]),
            season_ends=Subquery(rows.order_by("-campaign__ends_on").values("campaign__ends_on")[:1]),
            campaign_row=Subquery(rows.order_by("-campaign__ends_on").values("pk")[:1]),
            last_delivery=Max("water_deliveries__delivered_on"),
        )
        .order_by(F("last_delivery").asc(nulls_first=True), "village_id", "code")
    )


def winter_households(user: User, *, today: dt.date) -> QuerySet[Household]:
    rows = CampaignHousehold.objects.filter(
        household=OuterRef("pk"), campaign__kind=CampaignKind.WINTER, campaign__starts_on__lte=today,
        campaign__ends_on__gte=today).order_by("-campaign__starts_on", "-campaign_id")
    return (
        scope_queryset(user, Household.objects.filter(status=HouseholdStatus.ACTIVE))
        .filter(Exists(rows))
        .select_related("village")
        .annotate(
            head_name=Subquery(Person.objects.filter(household=OuterRef("pk"), relation=Relation.HEAD)
                               .values("name")[:1]),
            campaign_row=Subquery(rows.values("pk")[:1]),
            assessed=Exists(rows.filter(assessed_on__isnull=False)),
            need_grain=Exists(rows.filter(grain_short_days__gt=0)),
            need_clothing=Exists(rows.filter(clothing_sets__gt=0)),
            need_heating=Exists(rows.filter(heating_enough=False)),
            need_note=Subquery(rows.values("note")[:1]),
        )
        .order_by("assessed", "village_id", "code")
    )

"""Read side of visit spot checks (回访抽查): the reproducible sample, the lists, the
confirmed-visit rate per cadre."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from accounts.models import Area, User
from accounts.scoping import scope_queryset
from beneficiaries.models import Pairing
from visits import rules as visit_rules
from visits.models import Visit

from .models import CheckOutcome, SpotCheckDraw, SpotCheckItem

# Fields a visit may carry when it was captured on a phone (added by the capture work); the spot
# check asks about them only when the visit has them.
CAPTURE_FIELDS = ("captured_at", "geo_status", "geo_lat", "geo_lng", "geo_accuracy_m")  # visits.Visit


def capture_facts(visit: Visit) -> dict[str, object]:
    """The capture facts (time, position) a visit carries, if any, by their Chinese labels.
    A position counts only when the device gave one (geo_status "ok")."""
    from django.utils import timezone

    facts = {}
    for name in CAPTURE_FIELDS:
        value = getattr(visit, name, None)
        if value in (None, "") or (name.startswith("geo_") and getattr(visit, "geo_status", "") != "ok"):
            continue
        field = Visit._meta.get_field(name)
        if name == "geo_status":
            value = visit.get_geo_status_display()
        elif name == "captured_at":
            value = timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        facts[str(field.verbose_name)] = value
    return facts


def cadre_on_visit_day():
    """Subquery: the cadre paired with the visit's household on the visit's day."""
    return Subquery(
        Pairing.objects.filter(household=OuterRef("household_id"), started_on__lte=OuterRef("visited_on"))
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=OuterRef("visited_on")))
        .order_by("-started_on", "-id").values("cadre_id")[:1]
    )


def month_visits(area: Area, month: dt.date) -> QuerySet[Visit]:
    """Logged visits of `month` in `area`, each with the cadre paired on its day."""
    first, last = visit_rules.month_bounds(month)
    return (
        Visit.objects.filter(household__village__code__startswith=area.prefix, visited_on__gte=first,
                             visited_on__lte=last)
        .annotate(cadre_id=cadre_on_visit_day())
        .filter(cadre_id__isnull=False)
    )


def sample_visits(area: Area, month: dt.date, per_cadre: int, seed: int) -> list[tuple[int, int]]:
    """[(visit id, cadre id)]: up to `per_cadre` visits of each cadre, drawn with `seed`.

    Reproducible: candidates are ordered by id and each cadre's draw has its own generator
    seeded with (seed, cadre), so the same seed over the same visits gives the same sample, and
    one cadre's new visit does not change another's sample."""
    by_cadre: dict[int, list[int]] = defaultdict(list)
    for visit_id, cadre_id in month_visits(area, month).order_by("id").values_list("id", "cadre_id"):
        by_cadre[cadre_id].append(visit_id)
    out = []
    for cadre_id in sorted(by_cadre):
        ids = by_cadre[cadre_id]
        rng = random.Random(f"{seed}:{cadre_id}")
        out += [(v, cadre_id) for v in sorted(rng.sample(ids, min(per_cadre, len(ids))))]
    return out


def draws_for_user(user: User) -> QuerySet[SpotCheckDraw]:
    return (
        scope_queryset(user, SpotCheckDraw.objects.all()).select_related("area", "drawn_by")
        .annotate(items_total=Count("items"),
                  items_pending=Count("items", filter=Q(items__outcome=CheckOutcome.PENDING)),
                  items_discrepancy=Count("items", filter=Q(items__outcome=CheckOutcome.DISCREPANCY)))
        .order_by("-month", "area_id")
    )


def items_of(draw: SpotCheckDraw) -> QuerySet[SpotCheckItem]:
    from beneficiaries.display import head_name_subquery

    return draw.items.select_related("visit", "visit__household", "visit__household__village", "cadre",
                                     "checked_by").annotate(head_name=head_name_subquery("visit__household_id")).order_by(
        "cadre__name", "visit__visited_on", "id")


def confirmation_rates(items: QuerySet[SpotCheckItem]) -> list[dict]:
    """Per cadre: checked, confirmed, discrepancies, and the confirmed-visit rate — one grouped query."""
    rows = (
        items.values("cadre_id", "cadre__name")
        .annotate(total=Count("id"),
                  confirmed=Count("id", filter=Q(outcome=CheckOutcome.CONFIRMED)),
                  discrepancy=Count("id", filter=Q(outcome=CheckOutcome.DISCREPANCY)))
        .order_by("cadre__name")
    )
    out = []
    for r in rows:
        checked = r["confirmed"] + r["discrepancy"]
        out.append({**r, "checked": checked, "rate": round(100 * r["confirmed"] / checked) if checked else None})
    return out


def cadre_rates_in(user: User, area: Area, year: int) -> list[dict]:
    items = scope_queryset(user, SpotCheckItem.objects.filter(
        draw__area__code__startswith=area.prefix[:6], draw__month__year=year))
    return confirmation_rates(items)

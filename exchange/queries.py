"""Read side of the exchange app: scoped, set-based querysets for proposals, cross-checks and the
data-quality checks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from accounts.models import AREA_ROLES, Area, User
from accounts.scoping import area_prefixes, get_object_for_user, scope_queryset
from beneficiaries.display import head_name_subquery
from beneficiaries.models import Household, HouseholdStatus, Person, QuarterlyReview, Relation, WorkCapacity
from services.rules import birth_range
from visits.models import Visit

from .models import CrossCheck, Proposal, ProposalStatus


def proposals_for_user(user: User) -> QuerySet[Proposal]:
    # The household is named by its head (STYLE 21) in the same query as the rows.
    return scope_queryset(user, Proposal.objects.all()).select_related(
        "household", "village", "cross_check", "proposed_by", "decided_by", "person",
    ).annotate(head_name=head_name_subquery("household_id")).order_by("-proposed_at", "-id")


def get_proposal_for_user(user: User, pk: int) -> Proposal:
    return get_object_for_user(user, proposals_for_user(user), pk=pk)


def review_proposals(user: User, review: QuarterlyReview) -> tuple[list[Proposal], list[Proposal]]:
    """The proposals a quarter's review decides: those of the county still waiting, and those
    decided in this review."""
    qs = proposals_for_user(user).filter(county=review.county).filter(
        Q(status=ProposalStatus.PENDING) | Q(review=review)
    ).order_by("kind", "proposed_at", "id")
    rows = list(qs)
    return [p for p in rows if p.is_pending], [p for p in rows if not p.is_pending]


def cross_checks_for_user(user: User) -> QuerySet[CrossCheck]:
    return scope_queryset(user, CrossCheck.objects.all()).select_related("area", "uploaded_by", "token__department")


def upload_areas(user: User) -> QuerySet[Area]:
    """Areas a cross-check can cover: the user's county or prefecture areas."""
    return scope_queryset(user, Area.objects.filter(level__in=["prefecture", "county"])).order_by("code")


# --- data quality ------------------------------------------------------------------------------

QUIET_DAYS = 90  # a household with no counted visit for this long is listed
ADULT_WORK_AGE = 16  # under 16, "able to work" contradicts the age (劳动年龄)


def quality_areas(user: User) -> QuerySet[Area]:
    """Townships and above in scope, and a village committee's own village."""
    own = [p.ljust(12, "0") for p in area_prefixes(user, AREA_ROLES)]
    return scope_queryset(user, Area.objects.filter(~Q(level="village") | Q(code__in=own))).order_by("code")


def default_area(user: User) -> Area | None:
    prefixes = area_prefixes(user, AREA_ROLES)
    if not prefixes:
        return None
    return Area.objects.filter(code=prefixes[0].ljust(12, "0")).first()


def get_area_for_user(user: User, code: str) -> Area:
    area = scope_queryset(user, Area.objects.filter(code=code)).first()
    if area is None:
        raise Http404
    return area


@dataclass
class Check:
    key: str
    label: str
    help: str
    rows: QuerySet
    kind: str  # "person" or "household"


def _people(user: User, area: Area) -> QuerySet[Person]:
    return scope_queryset(user, Person.objects.filter(household__village__code__startswith=area.prefix)) \
        .select_related("household", "household__village")


def quality_checks(user: User, area: Area, *, today: dt.date) -> list[Check]:
    """The data-quality lists of an area, each one query (a count and a page of rows).

    1. one person in two active households: same name and birth date in another active household;
    2. the same person under two ID numbers: same name, birth date and village, another number;
    3. a child under 16 recorded as able to work;
    4. visits recorded after the household exited because of a death;
    5. active households with no counted visit for 90 days (registered before that)."""
    active = HouseholdStatus.ACTIVE
    people = _people(user, area)
    twin_elsewhere = Person.objects.filter(
        name=OuterRef("name"), birth_date=OuterRef("birth_date"), household__status=active,
    ).exclude(household_id=OuterRef("household_id"))
    two_households = people.filter(Exists(twin_elsewhere), household__status=active).order_by("name", "birth_date", "id")
    other_number = Person.objects.filter(
        name=OuterRef("name"), birth_date=OuterRef("birth_date"), household__village_id=OuterRef("household__village_id"),
    ).exclude(id_number_index=OuterRef("id_number_index"))  # equal numbers, equal blind indexes
    two_numbers = people.filter(Exists(other_number)).order_by("household__village_id", "name", "birth_date", "id")
    _earliest, youngest_adult = birth_range(today, ADULT_WORK_AGE, 200)
    child_able = people.filter(birth_date__gt=youngest_adult, work_capacity=WorkCapacity.ABLE).order_by(
        "household__village_id", "household__code", "id")

    head = Person.objects.filter(household=OuterRef("pk"), relation=Relation.HEAD)
    households = scope_queryset(user, Household.objects.filter(village__code__startswith=area.prefix)).select_related(
        "village").annotate(head_name=Subquery(head.values("name")[:1]))
    late_visit = Visit.objects.filter(household=OuterRef("pk"), visited_on__gt=OuterRef("exited_on"))
    after_death = households.filter(status=HouseholdStatus.EXITED, exit_reason__contains="死亡").filter(
        Exists(late_visit)).order_by("village_id", "code")
    since = today - dt.timedelta(days=QUIET_DAYS)
    recent = Visit.objects.filter(household=OuterRef("pk"), counted=True, visited_on__gt=since)
    last = Visit.objects.filter(household=OuterRef("pk"), counted=True).order_by("-visited_on").values("visited_on")[:1]
    quiet = households.filter(status=active, created_at__date__lte=since).filter(~Exists(recent)).annotate(
        last_visit=Subquery(last)).order_by("last_visit", "village_id", "code")
    return [
        Check("two_households", _("一人在两个在册家庭"), _("姓名和出生日期相同的人出现在另一个在册家庭。"),
              two_households, "person"),
        Check("two_numbers", _("同一人两个身份证号"), _("同一村(居)内姓名、出生日期相同而身份证号不同。"),
              two_numbers, "person"),
        Check("child_able", _("未满16周岁却登记有劳动能力"), _("劳动能力应为“无(未成年或在校)”。"), child_able, "person"),
        Check("after_death", _("因死亡退出后仍有走访记录"), _("退出日期之后还登记了走访。"), after_death, "household"),
        Check("quiet", _("90天无有效走访"), _("在册满90天、近90天没有计入的走访。"), quiet, "household"),
    ]

"""What a token reaches — the same scoping function and minimum-data rules as the pages, narrowed to
the token's fields of help and area. Outside of it is a 404, the same as a row that does not exist.

- referrals: `scope_queryset` with the token's department (a liaison's view), then the token's
  fields and area;
- the §4 lists of the token's fields: the services queries, read for the token's area (an
  unsaved reader holding an area role over that area, so the lists are exactly what an official
  of that area sees — never saved, never able to write);
- a household: only one that a referral or a list of the token already shows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Area, Role, RoleAssignment, User
from accounts.scoping import scope_queryset
from services import queries as services_queries
from services.models import Referral, ReferralEvent

from ..models import ApiToken


@dataclass(frozen=True)
class TokenList:
    key: str
    label: str
    field: str  # the field of help (services.Field.code) the list belongs to
    rows: str  # "person" or "household"
    load: Callable[..., QuerySet]


LISTS: dict[str, TokenList] = {
    t.key: t for t in (
        TokenList("education", _("教育救助对象(在读年龄成员)"), "education-aid", "person", services_queries.education_aid),
        TokenList("water", _("缺水期行动不便户(送水上门)"), "drinking-water", "household",
                  services_queries.limited_mobility_in_dry_season),
        TokenList("winter", _("冬春救助需求"), "emergency-relief", "household", services_queries.winter_relief),
        TokenList("employment", _("有劳动能力的未就业成员"), "employment", "person", services_queries.unemployed_able),
        TokenList("zero", _("零就业家庭"), "employment", "household", services_queries.zero_employment),
    )
}

# Facts of a member that each field needs (minimum data, §6(6)); name, masked ID number, sex, age
# and relation are always given.
FIELD_FACTS: dict[str, tuple[str, ...]] = {
    "basic-living": ("benefit_status", "support_mode", "self_care"),
    "medical-aid": ("benefit_status", "serious_illness", "disability_grade"),
    "education-aid": ("benefit_status",),
    "housing": ("benefit_status", "self_care"),
    "drinking-water": ("self_care", "disability_type", "disability_grade"),
    "emergency-relief": ("benefit_status", "self_care"),
    "employment": ("work_capacity", "employed"),
    "social-participation": ("self_care", "left_behind"),
    "other-assistance": ("disability_type", "disability_grade", "civil_capacity"),
    "financial-supervision": ("civil_capacity",),
    "information": (),
}


def token_lists(token: ApiToken) -> list[TokenList]:
    return [t for t in LISTS.values() if t.field in token.field_codes]


def area_reader(token: ApiToken) -> User:
    """An unsaved principal that sees the token's area as its officials do (reads only)."""
    reader = User(username=token.user.username, is_active=True)
    reader._care_roles = [RoleAssignment(role=Role.COUNTY, area=token.area)]
    return reader


def area_filter(token: ApiToken, code: str | None) -> str:
    """The code prefix to filter by: the token's area, or an area inside it (else 404)."""
    if not code:
        return token.area.prefix
    area = Area.objects.filter(code=code).first()
    if area is None or not token.area.contains(area.code):
        raise Http404
    return area.prefix


def token_referrals(user: User, token: ApiToken, *, now: dt.datetime) -> QuerySet[Referral]:
    qs = services_queries.referral_list(user, now=now).filter(
        field_id__in=token.field_ids, household__village__code__startswith=token.area.prefix,
    )
    last_event = ReferralEvent.objects.filter(referral=OuterRef("pk")).order_by("-at", "-id").values("at")[:1]
    return qs.annotate(updated_at=Coalesce(Subquery(last_event), "submitted_at"))


def list_rows(token: ApiToken, key: str, *, today: dt.date) -> tuple[TokenList, QuerySet]:
    spec = LISTS.get(key)
    if spec is None or spec.field not in token.field_codes:
        raise Http404
    return spec, spec.load(area_reader(token), today=today)


def household_reachable(user: User, token: ApiToken, household_id: int, *, now: dt.datetime) -> bool:
    """A household the token already sees on a referral or one of its lists."""
    if token_referrals(user, token, now=now).filter(household_id=household_id).exists():
        return True
    today = timezone.localtime(now).date()
    for spec in token_lists(token):
        qs = spec.load(area_reader(token), today=today)
        lookup = Q(household_id=household_id) if spec.rows == "person" else Q(pk=household_id)
        if qs.filter(lookup).exists():
            return True
    return False


def scoped_households(token: ApiToken):
    from beneficiaries.models import Household

    return scope_queryset(area_reader(token), Household.objects.all())

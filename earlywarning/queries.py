"""Reads of early warning, scoped: the open warnings and help requests of a desk or a cadre,
a warning with its signals, the figures per area."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from accounts.models import Area, User
from accounts.scoping import get_object_for_user, scope_queryset
from beneficiaries.models import Household, Pairing

from .models import CareWarning, DoorCard, HelpRequest, Verification, WarningLevel

LEVEL_ORDER = Case(When(level=WarningLevel.URGENT, then=Value(3)), When(level=WarningLevel.WARNING, then=Value(2)),
                   default=Value(1), output_field=IntegerField())


def _head_name():
    """The head of household's name for a warning's or a request's household (one subquery)."""
    from django.db.models import OuterRef, Subquery

    from beneficiaries.models import Person, Relation

    return Subquery(Person.objects.filter(household=OuterRef("household_id"), relation=Relation.HEAD)
                    .values("name")[:1])


def _mine(qs: QuerySet, user: User) -> QuerySet:
    return qs.filter(household__in=Pairing.objects.filter(cadre__user=user, ended_on__isnull=True)
                     .values("household_id"))


def _open_warnings(user: User, mine: bool) -> QuerySet[CareWarning]:
    qs = CareWarning.objects.filter(verified_at__isnull=True)
    return scope_queryset(user, _mine(qs, user) if mine else qs)


def _open_help_requests(user: User, mine: bool) -> QuerySet[HelpRequest]:
    qs = HelpRequest.objects.filter(closed_at__isnull=True)
    return scope_queryset(user, _mine(qs, user) if mine else qs)


def open_kinds(user: User, *, mine: bool = False) -> set[str]:
    """Which of the panels' two lists may have a row: a subset of {"warnings", "help_requests"},
    in one small statement. The panels on the cadre's list and the desk ask this first and skip
    the lists' scoped queries (joins, head names, signals: ~10 ms of ORM work) when nothing is
    open — the usual case, on pages opened all day (issue 25). A superset of the scope is enough
    here (the lists apply the real one): open rows of households paired with the user's cadre
    (`mine`), or else in the user's area prefixes, paired, or of the user's cadre's agency."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    from beneficiaries.models import Cadre
    from beneficiaries.reach import household_reach_sql

    pairing, cadre = Pairing._meta.db_table, Cadre._meta.db_table
    params = {"user": user.pk}
    if mine:
        reach = f"""x.household_id IN (SELECT p.household_id FROM {pairing} p JOIN {cadre} c ON c.id = p.cadre_id
                                        WHERE c.user_id = %(user)s AND p.ended_on IS NULL)"""
    else:
        reach, more = household_reach_sql(user, "x.household_id")
        params.update(more)
    sql = f"""SELECT EXISTS (SELECT 1 FROM {CareWarning._meta.db_table} x WHERE x.verified_at IS NULL AND {reach}),
                     EXISTS (SELECT 1 FROM {HelpRequest._meta.db_table} x WHERE x.closed_at IS NULL AND {reach})"""
    with connection.cursor() as cur:
        cur.execute(sql, params)
        warnings, help_requests = cur.fetchone()
    return {k for k, present in (("warnings", warnings), ("help_requests", help_requests)) if present}


def open_warnings(user: User, *, mine: bool = False, limit: int = 100) -> list[CareWarning]:
    """Open warnings in the user's scope, 紧急 first, then by deadline; `mine`: only households
    the user is the paired cadre of. Signals come in one more query."""
    qs = (_open_warnings(user, mine).select_related("household", "household__village")
          .prefetch_related("signals").annotate(rank=LEVEL_ORDER, head_name=_head_name())
          .order_by("-rank", "verify_by", "-raised_at", "id"))
    return list(qs[:limit])


def open_help_requests(user: User, *, mine: bool = False, limit: int = 50) -> list[HelpRequest]:
    return list(_open_help_requests(user, mine).select_related("household", "household__village")
                .annotate(head_name=_head_name()).order_by("created_at", "id")[:limit])


def get_warning_for_user(user: User, pk: int) -> CareWarning:
    return get_object_for_user(user, CareWarning.objects.select_related("household", "household__village",
                                                                         "escalated_to"), pk=pk)


def get_help_request_for_user(user: User, pk: int) -> HelpRequest:
    return get_object_for_user(user, HelpRequest.objects.select_related("household", "household__village",
                                                                         "closed_by"), pk=pk)


def get_household_for_user(user: User, pk: int) -> Household:
    return get_object_for_user(user, Household.objects.select_related("village"), pk=pk)


def valid_card(token: str) -> DoorCard | None:
    """The valid door card of a QR token (the public page's only lookup), or None."""
    return DoorCard.objects.select_related("household", "household__village", "household__village__parent").filter(
        token=token, revoked_at__isnull=True).first()


def valid_card_of(household: Household) -> DoorCard | None:
    return DoorCard.objects.filter(household=household, revoked_at__isnull=True).first()


def verification_of(warning: CareWarning) -> Verification | None:
    return Verification.objects.filter(warning=warning).select_related("verified_by").first()


@dataclass
class FigureRow:
    area_code: str
    area_name: str
    raised: int
    urgent: int
    verified: int
    in_time: int
    helped: int
    no_help: int
    wrong: int
    open: int


# The definitions shown under the figures ("为什么"): what each column counts.
FIGURE_DEFINITIONS = {
    "raised": _("期间内新发出的关爱预警户次（关注、预警、紧急）"),
    "urgent": _("其中紧急级（含一键求助）"),
    "verified": _("期间内发出、已由乡镇核查的预警"),
    "in_time": _("其中在期限内核查的紧急和预警（紧急24小时、预警3个工作日；关注在下次走访时核实，不计入）"),
    "helped": _("核查结果“已核实并帮扶”"),
    "no_help": _("核查结果“已核实无需帮扶”"),
    "wrong": _("核查结果“信息有误”"),
    "open": _("尚未核查"),
}


def figures(user: User, since: dt.date, until: dt.date) -> list[FigureRow]:
    """Warnings raised from `since` through `until` in the user's scope, per township (one
    statement over the scoped warnings)."""
    scoped = scope_queryset(user, CareWarning.objects.filter(raised_on__gte=since, raised_on__lte=until))
    base, params = scoped.order_by().values("id").query.sql_with_params()
    w, v, h, a = CareWarning._meta.db_table, Verification._meta.db_table, Household._meta.db_table, Area._meta.db_table
    sql = f"""
        SELECT t.code, t.name, count(*),
               count(*) FILTER (WHERE w.level = 'urgent'),
               count(v.id), count(*) FILTER (WHERE v.in_time AND w.level <> 'attention'),
               count(*) FILTER (WHERE v.outcome = 'helped'), count(*) FILTER (WHERE v.outcome = 'no_help'),
               count(*) FILTER (WHERE v.outcome = 'wrong'), count(*) FILTER (WHERE w.verified_at IS NULL)
        FROM {w} w JOIN {h} h ON h.id = w.household_id
        JOIN {a} t ON t.code = left(h.village_id, 9) || '000'
        LEFT JOIN {v} v ON v.warning_id = w.id
        WHERE w.id IN ({base})
        GROUP BY t.code, t.name ORDER BY t.code"""
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return [FigureRow(*row) for row in cur.fetchall()]


def figures_by_area(prefix: str, group_length: int, since: dt.date, until: dt.date) -> dict[str, dict[str, int]]:
    """{area prefix: the figures of FIGURE_DEFINITIONS} of the warnings raised from `since`
    through `until` in the villages whose code starts with `prefix`, grouped by the first
    `group_length` digits of the village (one statement; the oversight dashboards' panel). The
    caller has checked the area is the user's."""
    w, v, h = CareWarning._meta.db_table, Verification._meta.db_table, Household._meta.db_table
    sql = f"""
        SELECT left(h.village_id, %(n)s), count(*),
               count(*) FILTER (WHERE w.level = 'urgent'),
               count(v.id), count(*) FILTER (WHERE v.in_time AND w.level <> 'attention'),
               count(*) FILTER (WHERE v.outcome = 'helped'), count(*) FILTER (WHERE v.outcome = 'no_help'),
               count(*) FILTER (WHERE v.outcome = 'wrong'), count(*) FILTER (WHERE w.verified_at IS NULL)
        FROM {w} w JOIN {h} h ON h.id = w.household_id
        LEFT JOIN {v} v ON v.warning_id = w.id
        WHERE h.village_id LIKE %(prefix)s AND w.raised_on BETWEEN %(since)s AND %(until)s
        GROUP BY 1"""
    keys = ("raised", "urgent", "verified", "in_time", "helped", "no_help", "wrong", "open")
    with connection.cursor() as cur:
        cur.execute(sql, {"n": group_length, "prefix": prefix + "%", "since": since, "until": until})
        return {row[0]: dict(zip(keys, row[1:], strict=True)) for row in cur.fetchall()}


def warnings_of_household(household: Household) -> QuerySet[CareWarning]:
    return CareWarning.objects.filter(household=household).prefetch_related("signals").order_by("-raised_at")[:10]


def head_name_of(household: Household) -> str | None:
    from beneficiaries.models import Person, Relation

    return Person.objects.filter(household=household, relation=Relation.HEAD).values_list("name", flat=True).first()


def help_paths(households: list[Household]) -> dict[int, str]:
    """{household id: the public help page} of the households with a valid help token (one query):
    the roster's door card prints it as its QR (beneficiaries.views.DOOR_CARD_QR_TARGETS)."""
    from django.urls import reverse

    return {h: reverse("earlywarning:help", args=[t]) for h, t in DoorCard.objects.filter(
        household__in=households, revoked_at__isnull=True).values_list("household_id", "token")}

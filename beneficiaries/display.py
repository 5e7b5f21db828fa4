"""How a household and a person are named to a person (STYLE 21): one helper, four forms.

A household is read as its head's name and its village, with its code last (the code is what a
caseworker types into a search, not what they recognise): ``杨秀英 · 营上村 · DEMO-000004``.
A person is read as their name and masked ID number: ``杨秀英（522634********1234）``.

- ``household_label(...)`` / ``person_label(...)``: Python, from values already at hand;
- ``household_text(household)``: from a Household (uses an annotated ``head_name`` when present);
- ``head_name_subquery()`` and ``household_label_expression()``: ORM expressions for lists and
  exports, so a page of rows costs one query;
- ``household_label_sql(...)``: the same as an SQL fragment for statements written in SQL;
- the template filters ``household`` and ``person`` (beneficiaries/templatetags/people.py).
"""

from __future__ import annotations

from django.db.models import CharField, F, Func, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Concat
from django.utils.translation import gettext as _

from .idnumber import mask
from .models import Household, Person, Relation

SEPARATOR = " · "


def household_label(*, head_name: str | None, village_name: str | None, code: str) -> str:
    """杨秀英 · 营上村 · DEMO-000004 (a household without a head on the roster: （无户主）)."""
    parts = [head_name or _("（无户主）")]
    if village_name:
        parts.append(village_name)
    parts.append(code)
    return SEPARATOR.join(parts)


def person_label(*, name: str, id_masked: str = "") -> str:
    """杨秀英（522634********1234）; the name alone when no ID number is at hand."""
    return f"{name}（{id_masked}）" if id_masked else name


def head_name_subquery(household: str = "pk") -> Subquery:
    """The head's name of the household at `household` (an OuterRef path)."""
    return Subquery(
        Person.objects.filter(household=OuterRef(household), relation=Relation.HEAD).order_by("id").values("name")[:1]
    )


def head_name(household: Household) -> str | None:
    """An annotated `head_name` if the query carried one, else one lookup (detail pages only)."""
    if hasattr(household, "head_name"):
        return household.head_name
    return Person.objects.filter(household=household, relation=Relation.HEAD).order_by("id").values_list(
        "name", flat=True).first()


def household_text(household: Household) -> str:
    village = household.village.short_name if household.village_id else ""
    return household_label(head_name=head_name(household), village_name=village, code=household.code)


def person_text(person: Person) -> str:
    return person_label(name=person.name, id_masked=person.id_masked if person.id_number else "")


def short_name_sql(column: str) -> str:
    """accounts.models.short_area_name in SQL: 营上村村民委员会 → 营上村, …社区居民委员会 → …社区."""
    return (f"regexp_replace(regexp_replace({column}, '(.)社区居民委员会$', '\\1社区'), "
            f"'(.)(村民委员会|居民委员会|村委会)$', '\\1')")


def short_name_expression(field: str) -> Func:
    """short_name_sql as an ORM expression over an area's name field (e.g. "village__name")."""
    return Func(F(field), template=short_name_sql("%(expressions)s"), output_field=CharField())


def household_label_expression(prefix: str = "") -> Concat:
    """household_label in SQL for a queryset of `prefix`-related households (e.g. prefix="household__"
    for findings); ``.annotate(household_label=household_label_expression("household__"))``."""
    sep = Value(SEPARATOR)
    return Concat(
        Coalesce(head_name_subquery(prefix + "pk" if prefix else "pk"), Value(str(_("（无户主）")))), sep,
        short_name_expression(prefix + "village__name"), sep, F(prefix + "code"), output_field=CharField(),
    )


def household_label_sql(household: str, village: str, param: str) -> str:
    """household_label as an SQL expression over a household alias and its village's alias;
    `param` is the placeholder that carries Relation.HEAD (`%s` or `%(head)s`)."""
    head = (f"(SELECT pe.name FROM {Person._meta.db_table} pe WHERE pe.household_id = {household}.id "
            f"AND pe.relation = {param} ORDER BY pe.id LIMIT 1)")
    none = str(_("（无户主）")).replace("'", "''")
    return f"concat_ws('{SEPARATOR}', coalesce({head}, '{none}'), {short_name_sql(village + '.name')}, {household}.code)"


__all__ = ["household_label", "person_label", "household_text", "person_text", "head_name_subquery",
           "household_label_expression", "household_label_sql", "short_name_sql", "short_name_expression", "mask"]

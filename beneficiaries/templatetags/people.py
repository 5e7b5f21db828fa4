"""{{ household|household }} and {{ person|person }}: a household or person as a person reads it
(beneficiaries/display.py). On a list, annotate `head_name` (display.head_name_subquery()) and
select the village, so a row costs no query."""

from __future__ import annotations

from django import template

from beneficiaries import display

register = template.Library()


@register.filter
def household(value) -> str:
    if value is None or value == "":
        return ""
    return display.household_text(value)


@register.filter
def person(value) -> str:
    if value is None or value == "":
        return ""
    return display.person_text(value)

"""Template helpers shared by every app.

One form rendering for every widget: ``{{ field|bs }}`` renders the widget alone with the
Bootstrap 5 class it needs, ``{% field form.x %}`` renders label, widget, help text and errors
(templates/partials/field.html), and ``{% include "partials/form_fields.html" %}`` renders a whole
form through the same field template."""

from __future__ import annotations

from django import forms, template
from django.forms import BoundField
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()


def widget_kind(field: BoundField) -> str:
    """What kind of control a field's widget is: "choices" (radio or check-box group),
    "checkbox" (one check box), "select", "file", "hidden" or "input"."""
    widget = field.field.widget
    if isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
        return "choices"
    if widget.is_hidden:
        return "hidden"
    input_type = getattr(widget, "input_type", None)
    if input_type == "checkbox":
        return "checkbox"
    if isinstance(widget, forms.Select) or widget.__class__.__name__.endswith("Select"):
        return "select"
    if input_type == "file":
        return "file"
    return "input"


def _choices_group(field: BoundField) -> str:
    """A radio / check-box group as Bootstrap ``form-check`` rows (inline when the labels are short)."""
    subwidgets = list(field.subwidgets)
    inline = len(subwidgets) <= 6 and all(len(str(w.choice_label)) <= 8 for w in subwidgets)
    invalid = " is-invalid" if field.errors else ""
    rows = []
    for w in subwidgets:
        attrs = dict(w.data.get("attrs") or {})
        attrs.pop("class", None)
        attrs.update({"type": w.data["type"], "name": w.data["name"], "class": "form-check-input" + invalid})
        if w.data.get("value") is not None:
            attrs["value"] = w.data["value"]
        if w.data.get("selected"):
            attrs["checked"] = True
        input_id = attrs.get("id") or w.id_for_label
        attrs["id"] = input_id
        rows.append(
            format_html(
                '<div class="form-check{}"><input{}><label class="form-check-label" for="{}">{}</label></div>',
                " form-check-inline" if inline else "", flatatt(attrs), input_id, w.choice_label,
            )
        )
    css = "choice-group" + (" choice-group-inline" if inline else "")
    return format_html('<div class="{}" id="{}">{}</div>', css, field.auto_id or "",
                       mark_safe("".join(rows)))  # noqa: S308 - every row escaped by format_html


@register.filter
def bs(field: BoundField) -> str:
    """Render a form field's widget with the Bootstrap class it needs, marked invalid on error.

    Radio and check-box groups become one ``form-check`` per choice (the class goes on each
    ``input``, never on the wrapper)."""
    kind = widget_kind(field)
    if kind == "choices":
        return _choices_group(field)
    if kind == "hidden":
        return field.as_widget()
    css = {"checkbox": "form-check-input", "select": "form-select"}.get(kind, "form-control")
    if field.errors:
        css += " is-invalid"
    existing = field.field.widget.attrs.get("class", "")
    return field.as_widget(attrs={"class": f"{existing} {css}".strip()})


@register.filter
def kind(field: BoundField) -> str:
    """The widget kind (see widget_kind) for templates."""
    return widget_kind(field)


@register.inclusion_tag("partials/field.html")
def field(bound_field: BoundField, label: str = "", css: str = "mb-3"):
    """``{% field form.x %}``: label, widget, help text and errors of one field."""
    return {"field": bound_field, "label": label or bound_field.label, "css": css}


@register.simple_tag
def form_errors(form) -> str:
    """Errors that belong to no single field, in one red box."""
    errors = form.non_field_errors()
    if not errors:
        return ""
    return format_html('<div class="alert alert-danger" role="alert">{}</div>',
                       format_html_join("", "<div>{}</div>", ((e,) for e in errors)))


@register.simple_tag
def querystring_replace(request, **kwargs) -> str:
    """The current query string with some parameters replaced (for pagination links)."""
    params = request.GET.copy()
    for key, value in kwargs.items():
        params[key] = value
    return params.urlencode()


@register.simple_tag
def querystring_with(request, key: str, value) -> str:
    """The current query string with one parameter (named by a variable) replaced."""
    params = request.GET.copy()
    params[key] = value
    return params.urlencode()


@register.filter
def is_official(user) -> bool:
    """Village, township, county or prefecture staff (who see every row of their area)."""
    from accounts.models import AREA_ROLES
    from accounts.scoping import has_role

    return bool(user.is_authenticated and (user.is_superuser or has_role(user, *AREA_ROLES)))


@register.simple_tag(takes_context=True)
def nav_menu(context) -> str:
    """base.html's menu entries (accounts.navigation.menu_html), from the context processors'
    nav_items, notifications_url and lazy unread_notifications."""
    from accounts.navigation import menu_html

    request = context.get("request")
    return mark_safe(menu_html(context.get("nav_items") or [], getattr(request, "path", ""),  # noqa: S308 — escaped there
                               context.get("notifications_url", ""), context.get("unread_notifications", 0)))

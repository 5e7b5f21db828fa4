"""Template helpers shared by every app."""

from django import template
from django.forms import BoundField

register = template.Library()


@register.filter
def bs(field: BoundField) -> str:
    """Render a form field with the Bootstrap class its widget needs, marked invalid on error."""
    input_type = getattr(field.field.widget, "input_type", None)
    if input_type in ("checkbox", "radio"):
        css = "form-check-input"
    elif input_type == "select" or field.field.widget.__class__.__name__.endswith("Select"):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    existing = field.field.widget.attrs.get("class", "")
    return field.as_widget(attrs={"class": f"{existing} {css}".strip()})


@register.simple_tag
def querystring_replace(request, **kwargs) -> str:
    """The current query string with some parameters replaced (for pagination links)."""
    params = request.GET.copy()
    for key, value in kwargs.items():
        params[key] = value
    return params.urlencode()

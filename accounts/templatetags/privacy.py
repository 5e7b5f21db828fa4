"""{% phone obj %} and {{ value|phone_for:user }}: the one phone-number policy (accounts/phones.py)."""

from django import template
from django.template.loader import render_to_string

from accounts import phones

register = template.Library()


@register.filter
def phone_for(value: str, user) -> str:
    return phones.phone_for(user, value)


@register.filter
def phone_in_file(value: str) -> str:
    """A number in a printed or exported document: masked for everyone (the one policy)."""
    return phones.phone_for(None, value, export=True)


@register.simple_tag(takes_context=True)
def phone(context, obj) -> str:
    """The object's phone, full or masked for the viewer, with a reveal button where allowed."""
    request = context.get("request")
    user = getattr(request, "user", None)
    number = getattr(obj, "phone", "") or ""
    kind = next((k for k, label in phones.PHONE_MODELS.items() if label.lower() == obj._meta.label_lower), "")
    full = phones.sees_full_phones(user)
    return render_to_string("accounts/partials/phone.html", {
        "obj": obj, "kind": kind, "number": phones.phone_for(user, number),
        "can_reveal": bool(number) and not full and bool(kind) and phones.can_reveal_phone(user),
    })

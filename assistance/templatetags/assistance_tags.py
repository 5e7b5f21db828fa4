from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template (None when missing)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def absolute(value):
    """|value| for signed ledger amounts shown as a payment."""
    try:
        return abs(value)
    except TypeError:
        return value

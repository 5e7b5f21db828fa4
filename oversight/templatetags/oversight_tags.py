from django import template

register = template.Library()


@register.filter
def get(mapping, key):
    """{{ dict|get:key }} — a value by a variable key."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None

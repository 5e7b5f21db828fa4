from django import template

from custody.rules import yuan as _yuan

register = template.Library()


@register.filter
def yuan(fen) -> str:
    """Integer fen shown as yuan with two decimals."""
    return _yuan(fen)

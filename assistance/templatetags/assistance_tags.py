from django import template

register = template.Library()


@register.simple_tag
def menu_urls(nav_items) -> set[str]:
    """The addresses of the user's menu (accounts/navigation.py): the section tabs offer only
    those, so a tab never leads to a page the role may not open."""
    urls = set()
    for item in nav_items or ():
        urls.update(c["url"] for c in item.get("children", ()))
        if item.get("url"):
            urls.add(item["url"])
    return urls


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

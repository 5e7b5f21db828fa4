from django.http import HttpRequest

from .navigation import items_for
from .scoping import user_roles


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "my_roles": []}
    return {"nav_items": items_for(user), "my_roles": user_roles(user)}

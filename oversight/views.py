from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from accounts.models import Role
from accounts.scoping import user_roles


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Start page: the user's roles and areas, and — for county and prefecture staff — the
    roster figures of the areas below them at a glance."""
    user = request.user
    roles = {r.role for r in user_roles(user)}
    # People with one kind of daily work start where that work is.
    if not user.is_superuser and roles == {Role.CADRE}:
        return redirect("visits:mine")
    if not user.is_superuser and roles == {Role.DEPARTMENT}:
        return redirect("services:inbox")
    from .home import home as start_page

    return start_page(request)

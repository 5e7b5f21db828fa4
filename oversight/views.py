from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.models import Role
from accounts.queries import top_areas_for_user
from accounts.scoping import has_role, user_roles

from .queries import roster_by_area


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
    figures = roster_by_area(user) if user.is_superuser or has_role(user, Role.COUNTY, Role.PREFECTURE) else []
    return render(request, "oversight/home.html", {"my_areas": top_areas_for_user(user), "figures": figures})

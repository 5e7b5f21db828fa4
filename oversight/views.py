from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.queries import top_areas_for_user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Start page: the user's roles and areas, and the entry points of their daily work."""
    return render(request, "oversight/home.html", {"my_areas": top_areas_for_user(request.user)})

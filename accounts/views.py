from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET

from .actions import audit_record
from .forms import LoginForm
from .models import Area, AuditAction
from .queries import child_areas_for_user, get_area_for_user, top_areas_for_user
from .scoping import scope_queryset


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(actor=self.request.user, action=AuditAction.LOGIN, obj=self.request.user, request=self.request)
        return response


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            audit_record(actor=request.user, action=AuditAction.LOGOUT, obj=request.user, request=request)
        return super().post(request, *args, **kwargs)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(actor=self.request.user, action=AuditAction.CHANGE, obj=self.request.user,
                     request=self.request, details={"field": "password"})
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


@login_required
@require_GET
def area_browser(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """Prefecture → county → township → village, limited to the user's own areas."""
    if code is None:
        area = None
        children = top_areas_for_user(request.user)
        trail = []
    else:
        area = get_area_for_user(request.user, code)
        children = child_areas_for_user(request.user, area)
        # Link only the ancestors the user may open themselves (a township official sees
        # the township, not the county above it).
        ancestors = area.ancestors()
        openable = set(
            scope_queryset(request.user, Area.objects.filter(code__in=[a.code for a in ancestors])).values_list(
                "code", flat=True
            )
        )
        trail = [a for a in ancestors if a.code in openable]
    return render(request, "accounts/area_browser.html", {"area": area, "children": children, "trail": trail})


"""Pages of the exchange app: API tokens (prefecture bureau), cross-check uploads, proposals of
entry/exit/re-entry and their decisions, data quality. Thin: scope, one action, redirect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.scoping import get_object_for_user

from . import actions
from .forms import TokenForm
from .models import ApiToken


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# --- API tokens ------------------------------------------------------------------------------------


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    """The prefecture bureau's tokens: list, create (the secret is shown on this response only)."""
    if not actions.can_manage_tokens(request.user):
        raise Http404
    today = timezone.localdate()
    form = TokenForm(request.POST or None, today=today)
    secret = None
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = actions.token_create(actor=request.user, today=today, request=request,
                                                   **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            form = TokenForm(today=today)
    tokens = (ApiToken.objects.select_related("department", "area", "created_by", "revoked_by")
              .prefetch_related("fields").order_by("-created_at", "-id"))
    return render(request, "exchange/tokens.html", {
        "form": form, "tokens": tokens, "secret": secret, "created": created, "now": timezone.now(),
    })


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    if not actions.can_manage_tokens(request.user):
        raise Http404
    token = get_object_for_user(request.user, ApiToken, pk=pk)
    try:
        actions.token_revoke(actor=request.user, token=token, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("令牌 %(p)s 已吊销，立即失效。") % {"p": token.prefix})
    return redirect("exchange:tokens")

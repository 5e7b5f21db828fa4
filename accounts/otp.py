"""Second factor (TOTP, django-otp) and recovery codes.

- County, prefecture and financial-supervisor staff (and superusers) must pass it after the
  password before any page (SecondFactorMiddleware); they enrol on first login.
- Everyone must have passed it in this session before a full-ID reveal or export
  (``second_factor_required`` on those views, ``second_factor_passed`` in the actions): step-up.
- Recovery codes are django-otp static tokens, each usable once.
"""

from __future__ import annotations

import secrets
from functools import wraps
from urllib.parse import urlencode

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import devices_for_user, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Role, User
from .scoping import has_role

SECOND_FACTOR_ROLES = (Role.COUNTY, Role.PREFECTURE, Role.FINANCIAL_SUPERVISOR)
RECOVERY_CODE_COUNT = 10
TOTP_NAME = "TOTP"
RECOVERY_NAME = "recovery"


def requires_second_factor(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_superuser or has_role(user, *SECOND_FACTOR_ROLES)
    )


def second_factor_passed(user: User) -> bool:
    """True when this request's user passed the second factor in this session. Users that did not
    come through a request (imports run by commands, Celery) carry no is_verified: they pass."""
    is_verified = getattr(user, "is_verified", None)
    return True if is_verified is None else bool(is_verified())


def has_totp(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_totp(user: User) -> TOTPDevice:
    """The unconfirmed device the enrolment page shows (one per user, made on first visit)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


@transaction.atomic
def confirm_totp(device: TOTPDevice) -> list[str]:
    """Confirm an enrolled device (replacing any older one) and issue fresh recovery codes."""
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return new_recovery_codes(device.user)


@transaction.atomic
def new_recovery_codes(user: User) -> list[str]:
    """Ten one-time codes (xxxx-xxxx); earlier codes stop working."""
    static, _created = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_NAME, defaults={"confirmed": True})
    static.token_set.all().delete()
    codes = [f"{secrets.token_hex(2)}-{secrets.token_hex(2)}" for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    return codes


def verify(user: User, token: str):
    """The device that accepts the token (a 6-digit TOTP code or a recovery code), or None.
    django-otp throttles each device after failures."""
    token = "".join((token or "").split()).lower()
    if not token:
        return None
    for device in devices_for_user(user, confirmed=True):
        if device.verify_token(token):
            return device
    return None


def verify_url(next_url: str) -> str:
    return f"{reverse('accounts:otp_verify')}?{urlencode({'next': next_url})}"


def setup_url(next_url: str) -> str:
    return f"{reverse('accounts:otp_setup')}?{urlencode({'next': next_url})}"


def ask_for_second_factor(request: HttpRequest, next_url: str) -> HttpResponse:
    """Redirect to verification (or enrolment when the user has no device yet), then back."""
    target = verify_url(next_url) if user_has_device(request.user) else setup_url(next_url)
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


def second_factor_required(view):
    """Step-up for a full-ID reveal or export: without a second factor passed in this session the
    user is sent to verify it (or to enrol), then back. For htmx requests, the page they came from."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if request.user.is_authenticated and not second_factor_passed(request.user):
            back = request.get_full_path() if request.method == "GET" else request.headers.get("HX-Current-URL", "/")
            if request.method != "GET" and not request.headers.get("HX-Request"):
                back = request.META.get("HTTP_REFERER") or "/"
            return ask_for_second_factor(request, _same_site_path(back))
        return view(request, *args, **kwargs)

    return wrapped


def _same_site_path(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path

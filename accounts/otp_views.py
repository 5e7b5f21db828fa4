"""Second-factor pages: enrolment with a QR code, verification, new recovery codes."""

from __future__ import annotations

from base64 import b32encode

import django_otp
import segno
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from . import otp
from .actions import audit_record
from .models import AuditAction


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("验证码"), max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
        error_messages={"required": _("请输入验证码。")},
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return "/"
    return target


@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app. A user who already has one must pass it first (so a stolen
    password cannot enrol a second phone)."""
    user = request.user
    if otp.has_totp(user) and not user.is_verified():
        return redirect(otp.verify_url(_next(request)))
    device = otp.pending_totp(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token("".join(form.cleaned_data["code"].split())):
            codes = otp.confirm_totp(device)
            django_otp.login(request, device)
            audit_record(actor=user, action=AuditAction.CHANGE, obj=user, request=request,
                         details={"field": "second_factor", "change": "enrolled"})
            return render(request, "accounts/otp_recovery_codes.html", {"codes": codes, "next": _next(request)})
        form.add_error("code", _("验证码不正确或已过期，请查看手机应用中最新的6位数字后重新输入。"))
    secret = b32encode(device.bin_key).decode()
    qr = segno.make(device.config_url, error="m")
    return render(request, "accounts/otp_setup.html", {
        "form": form, "next": _next(request),
        "qr_svg": mark_safe(qr.svg_inline(scale=5, dark="#0d3b66")),  # noqa: S308 (our own SVG)
        "secret_groups": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
    })


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not django_otp.user_has_device(user):
        return redirect(otp.setup_url(_next(request)))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = otp.verify(user, form.cleaned_data["code"])
        if device is not None:
            django_otp.login(request, device)
            kind = "recovery" if device.name == otp.RECOVERY_NAME else "totp"
            audit_record(actor=user, action=AuditAction.LOGIN, obj=user, request=request,
                         details={"second_factor": kind})
            return redirect(_next(request))
        form.add_error("code", _("验证码不正确、已使用过或已过期；连续输错后需等待片刻再试。"))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next(request)})


@login_required
@require_POST
def otp_recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes (the old ones stop working); needs the second factor in this session."""
    if not request.user.is_verified():
        return redirect(otp.verify_url(request.META.get("HTTP_REFERER") or "/"))
    codes = otp.new_recovery_codes(request.user)
    audit_record(actor=request.user, action=AuditAction.CHANGE, obj=request.user, request=request,
                 details={"field": "second_factor", "change": "recovery_codes"})
    return render(request, "accounts/otp_recovery_codes.html", {"codes": codes, "next": "/"})


@login_required
@require_POST
def phone_reveal(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """One full phone number for a role that sees them masked; scope first (404), then role; audited."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.http import Http404

    from . import phones
    from .scoping import get_object_for_user

    model = phones.phone_model(kind)
    if model is None:
        raise Http404
    obj = get_object_for_user(request.user, model, pk=pk)
    try:
        number = phones.phone_reveal(actor=request.user, obj=obj, request=request)
    except ValidationError as exc:
        raise PermissionDenied from exc
    return render(request, "accounts/partials/phone_revealed.html", {"obj": obj, "kind": kind, "number": number})

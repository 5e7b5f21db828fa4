"""Helpers for tests that exercise the second factor (accounts/otp.py)."""

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_device(user) -> TOTPDevice:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first() or \
        TOTPDevice.objects.create(user=user, name="TOTP", confirmed=True)


def current_code(device: TOTPDevice) -> str:
    """The code an authenticator app would show now (computed from the device's key). A code is
    accepted once, and a wrong one blocks the device for a second or more (django-otp throttling):
    reset both, as waiting for the next 30-second step would."""
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0)
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


def pass_second_factor(client, user) -> None:
    """Mark the client's session as having passed the second factor (a step-up), as
    accounts/2fa/verify/ does after a correct code."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    session.save()

"""Demo second factor: the demo accounts whose roles need it get one TOTP secret, public and
printed by `seed_demo`, so a demo can be shown with any authenticator app — or without one,
`manage.py demo_totp` prints the current code. Never use the demo secret for real accounts."""

from __future__ import annotations

import hashlib
from base64 import b32encode

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import User
from .otp import TOTP_NAME, requires_second_factor

DEMO_TOTP_KEY = hashlib.sha1(b"care-demo-totp-secret").hexdigest()  # 20 bytes, hex as django-otp stores it


def demo_secret() -> str:
    return b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode()


def demo_code() -> str:
    return f"{TOTP(bytes.fromhex(DEMO_TOTP_KEY)).token():06d}"


def seed_demo_devices(*, households: int = 0, seed: int = 0, stdout=None) -> list[User]:
    """A confirmed TOTP device with the demo secret for each demo user that must pass the second
    factor and has none. Idempotent."""
    from .demo import DEMO_USERS

    users = []
    for user in User.objects.filter(username__in=[d.username for d in DEMO_USERS]).order_by("username"):
        if not requires_second_factor(user):
            continue
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            TOTPDevice.objects.create(user=user, name=TOTP_NAME, key=DEMO_TOTP_KEY, confirmed=True)
        users.append(user)
    if stdout is not None and users:
        stdout.write("")
        stdout.write(f"二次验证（{'、'.join(u.username for u in users)}）：演示密钥 {demo_secret()}")
        stdout.write("  在手机验证器应用中选择“手动输入密钥”输入上面的密钥；或运行 "
                     ".venv/bin/python manage.py demo_totp 查看当前6位验证码。")
    return users

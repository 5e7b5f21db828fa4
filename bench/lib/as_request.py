"""Pages and downloads timed as a person waits for them (issue 25): an HTTP request through
Django's whole stack — every middleware (session, authentication, second factor, idle timeout,
CSP …), the view, the template or the stream — made with the test Client as the user who opens
the page, signed in with the second factor passed where the role needs it. The clock is set to the
bench's day, so the pages compute what the floors compute."""

from __future__ import annotations

import datetime as dt
import time


def client_for(user):
    """A Client signed in as `user`, past the second factor when the role needs it (as the real
    login plus /accounts/2fa/verify/ would leave the session)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.otp import requires_second_factor

    client = Client()
    client.force_login(user)
    if requires_second_factor(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or \
            TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def on_day(day: dt.date):
    """The clock at noon (Asia/Shanghai) of the bench's day, ticking."""
    import time_machine

    return time_machine.travel(dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.timezone(dt.timedelta(hours=8))),
                               tick=True)


def body(client, url: str, **params) -> bytes:
    """The whole response (a stream read to its end); a page that is not 200 stops the bench."""
    response = client.get(url, params)
    if response.status_code != 200:
        raise SystemExit(f"!! {url}: HTTP {response.status_code} {response.get('Location', '')}")
    return b"".join(response.streaming_content) if response.streaming else response.content


def first_byte(client, url: str, **params) -> tuple[float, int]:
    """Seconds until the response's first byte (its headers and first chunk; a redirect to a job
    counts as the answer), and the status."""
    t = time.perf_counter()
    response = client.get(url, params)
    if response.streaming:
        next(iter(response.streaming_content), b"")
    elapsed = time.perf_counter() - t
    if hasattr(response, "close"):
        response.close()
    return elapsed, response.status_code

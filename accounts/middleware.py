"""Session hygiene for authenticated pages: idle timeout and no caching of personal data."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

LAST_SEEN_KEY = "care_last_seen"
# The idle timeout needs last-seen to the minute, not to the request: refreshing it at most once
# a minute keeps a read-only page from writing its session back (an UPDATE and a COMMIT on every
# request otherwise; issue 25). A session is thus logged out after 30 to 31 minutes of idleness.
LAST_SEEN_REFRESH_SECONDS = 60


class IdleTimeoutMiddleware:
    """Log out a session that has been idle longer than SESSION_IDLE_TIMEOUT_SECONDS.

    A shared phone or an office PC left open must not expose the roster. Last-seen is written
    back only when it is older than LAST_SEEN_REFRESH_SECONDS, so most requests save nothing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            last_seen = request.session.get(LAST_SEEN_KEY)
            if last_seen is not None and now - last_seen > settings.SESSION_IDLE_TIMEOUT_SECONDS:
                logout(request)
                if "application/json" in request.headers.get("Accept", ""):
                    return JsonResponse({"ok": False, "login_required": True}, status=401)
                messages.info(request, _("您已长时间未操作，为保护个人信息已自动退出，请重新登录。"))
                return redirect(f"{reverse('accounts:login')}?next={request.get_full_path()}")
            if last_seen is None or now - last_seen >= LAST_SEEN_REFRESH_SECONDS:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class NoStoreForAuthenticatedMiddleware:
    """Pages shown to a signed-in user carry personal data: never let a browser or proxy keep them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response


# A full ID number: 6-digit area, a birth date 18xx–20xx, 3-digit sequence, a check character.
ID_NUMBER_IN_TEXT = re.compile(
    r"(?<![0-9])[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9X](?![0-9])"
)
_SEPARATORS = re.compile(r"[\s\-]+")


def contains_id_number(text: str) -> bool:
    """True if the text holds a full ID number once blanks (spaces, %20, full-width) and hyphens
    are removed and full-width digits made plain."""
    table = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789XX")
    return bool(ID_NUMBER_IN_TEXT.search(_SEPARATORS.sub("", text).translate(table).upper()))


class RefuseIdNumberInQueryMiddleware:
    """Refuse (400, a Chinese page) any request whose query string holds a full ID number.

    First in MIDDLEWARE, so nothing inside the application has seen or logged the request yet;
    the response is marked as logged so django.request does not log it either, and carries
    Referrer-Policy: no-referrer so the next request does not send the URL on as a Referer.
    Logs outside the process (gunicorn's access log, nginx) are configured separately: see
    docs/security-privacy.md."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if query and any(contains_id_number(text) for key, values in request.GET.lists() for text in (key, *values)):
            response = render(None, "errors/id_in_url.html", status=400)
            response["Referrer-Policy"] = "no-referrer"
            response["Content-Security-Policy"] = "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'"
            response["Cache-Control"] = "no-store"
            response._has_been_logged = True  # django.utils.log.log_response: nothing to log
            return response
        return self.get_response(request)


class SecondFactorMiddleware:
    """After django_otp's OTPMiddleware: county, prefecture and financial-supervisor staff (and
    superusers) who have not passed the second factor in this session reach only the second-factor
    pages and logout; everything else sends them there (enrolment first if they have no device)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from . import otp

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_verified() and otp.requires_second_factor(user):
            open_paths = (reverse("accounts:otp_setup"), reverse("accounts:otp_verify"), reverse("accounts:logout"),
                          reverse("accounts:login"), settings.STATIC_URL)
            if not request.path.startswith(open_paths):
                return otp.ask_for_second_factor(request, request.get_full_path())
        return self.get_response(request)

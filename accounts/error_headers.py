"""Error answers carry the same security headers as every page (issue 21).

django-csp leaves 404 and 500 answers without a Content-Security-Policy when DEBUG is on, and an
error answer made outside a view (a handler, a middleware) is easy to miss. This middleware sits
just inside CSPMiddleware: every answer of 400 or more gets the site's policy (with the request's
nonce, if the page used one), nosniff, the referrer policy, frame denial and the opener policy,
whatever produced it and whatever DEBUG says. Pages below 400 are left to the usual middleware."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from csp.constants import HEADER
from csp.middleware import CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ErrorPageHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.csp = CSPMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 400:
            if HEADER not in response and not getattr(response, "_csp_exempt", False):
                response[HEADER] = build_policy(**asdict(self.csp.get_policy_parts(request=request, response=response)))
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", settings.SECURE_REFERRER_POLICY or "same-origin")
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response

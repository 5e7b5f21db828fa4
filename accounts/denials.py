"""Denied requests are logged (issue 21): a signed-in user's request that ends in 403, or in 404
on a route that names a record (an id in the URL), writes one audit row — the user, the route's
name, the record's id, the method and the status; never the path, the query or anything else the
request carried, so no personal data. The audit page (accounts/audit_views.py) shows users with
repeated denials as a signal: someone trying ids one after another looks like this.

The row names no record type, only the route, so reading it reveals nothing about the record
(not even whether it exists). Its area is the user's own, so the county or prefecture that
oversees the user reads it."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse

from .models import PREFIX_LENGTH, AuditAction, AuditEvent
from .scoping import user_roles

logger = logging.getLogger(__name__)

# Only values that are plainly ids or area codes (≤ 12 digits) or short route words are kept;
# an 18-character ID number, a name or anything else in a path is dropped.
_SAFE_VALUE = re.compile(r"^(?:[0-9]{1,12}|[a-z][a-z0-9_-]{0,29})$")


def _object_id(kwargs: dict) -> tuple[str, dict[str, str]]:
    kept = {k: str(v) for k, v in kwargs.items() if _SAFE_VALUE.match(str(v))}
    first = next((v for v in kept.values() if v.isdigit()), "")
    return first, kept


def _home_area(user) -> str:
    """The code of the user's own area (their first area-bound role), for the audit page's scope."""
    for role in user_roles(user):
        if role.area is not None:
            return role.area.code[: PREFIX_LENGTH[role.area.level]]
    return ""


def denial_record(request: HttpRequest, status: int) -> AuditEvent | None:
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None)
    if match is None or user is None or not user.is_authenticated:
        return None
    if status == 404 and not match.kwargs:
        return None  # a mistyped address, not a record refused
    object_id, kept = _object_id(match.kwargs)
    details = {"route": match.view_name, "method": request.method, "status": status}
    if kept:
        details["args"] = kept
    area = _home_area(user)
    if area:
        details["area"] = area
    try:
        with transaction.atomic():
            return AuditEvent.objects.create(actor=user, action=AuditAction.DENIED, object_id=object_id,
                                             object_repr=match.view_name[:200], details=details)
    except DatabaseError:  # the answer still goes out; the log says why the row is missing
        logger.warning("denied request not audited: %s %s", match.view_name, status, exc_info=True)
        return None


class DeniedRequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code in (403, 404):
            denial_record(request, response.status_code)
        return response

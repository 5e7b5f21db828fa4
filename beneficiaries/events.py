"""The roster's publish/subscribe point.

The roster is a lower app: it must not import the apps built on it (visits keeps the due dates,
earlywarning the warnings). When households change in a way those apps care about — a tier
confirmed, a pairing made, a household exited or re-entered, a roster imported — the roster
publishes `ROSTER_CHANGED` here, and each app that cares subscribes once, in its
`AppConfig.ready()`.

Subscribers run synchronously, in the publisher's transaction and in subscription order: a
failing subscriber rolls the roster change back, exactly as the direct call it replaces did.
They receive keyword arguments only: `households` (a queryset of the changed households) and
`today` (the Asia/Shanghai date the change counts from).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.db.models import QuerySet

ROSTER_CHANGED = "roster_changed"

Handler = Callable[..., object]
_subscribers: dict[str, list[Handler]] = {}


def subscribe(event: str, handler: Handler) -> None:
    """Call `handler(**payload)` whenever `event` is published. Subscribing twice is a no-op
    (ready() can run more than once in tests)."""
    handlers = _subscribers.setdefault(event, [])
    if handler not in handlers:
        handlers.append(handler)


def subscribers(event: str) -> list[Handler]:
    return list(_subscribers.get(event, ()))


def publish(event: str, **payload: object) -> None:
    for handler in subscribers(event):
        handler(**payload)


def roster_changed(*, households: QuerySet, today: date) -> None:
    """Households whose tier, pairing or status changed (or that an import wrote)."""
    publish(ROSTER_CHANGED, households=households, today=today)

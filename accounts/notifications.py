"""The one notifier. Every producer (visits, services, custody …) calls `notify()` or
`notify_many()`; nothing else writes accounts.Notification.

- In-app (always): one INSERT … ON CONFLICT (recipient, key) DO NOTHING for any number of
  messages — the same event never reaches the same person twice, however often a job runs.
- External channels a producer asks for (`channels=`): SMS through an HTTP gateway, a WeCom
  group robot webhook. Only messages inserted NOW are sent, after the transaction commits
  (Celery task `accounts.tasks.deliver_notifications`); each (message, channel) is claimed by a
  conditional UPDATE before sending, so two workers or a retried task send it at most once.
  A channel that is not configured (no URL in the environment) is skipped.
- If the hand-over to Celery fails (Redis down when the job commits), nothing is lost: the
  daily job's next run hands over again every recent message not yet sent on a configured
  channel (`redeliver_unsent`); the claim keeps a message from being sent twice.
- Log lines name the notification id and channel only: never a phone number, an ID number or
  the text (which may name a person).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from .models import Notification, NotifyChannel, User

logger = logging.getLogger(__name__)

SMS, WECOM = NotifyChannel.SMS.value, NotifyChannel.WECOM.value


@dataclass(frozen=True)
class Message:
    recipient_id: int
    key: str
    title: str
    household_id: int | None = None
    url: str = ""
    channels: tuple[str, ...] = ()


def notify(recipients: Iterable[User | int], *, key: str, title: str, household=None, url: str = "",
           channels: Sequence[str] = ()) -> list[int]:
    """Tell each recipient `title` once per `key`. Returns the ids of notifications created now."""
    household_id = getattr(household, "pk", household)
    ids = {getattr(r, "pk", r) for r in recipients}
    return notify_many([Message(r, key, title, household_id, url, tuple(channels)) for r in sorted(ids) if r])


_INSERT = """
INSERT INTO accounts_notification (recipient_id, key, title, household_id, url, channels, delivered, created_at)
SELECT m.recipient_id, m.key, m.title, m.household_id, m.url,
       CASE WHEN m.channels = '' THEN '{}'::varchar[] ELSE string_to_array(m.channels, ',')::varchar[] END,
       '{}'::varchar[], %(now)s
FROM unnest(%(recipients)s::bigint[], %(keys)s::text[], %(titles)s::text[], %(households)s::bigint[],
            %(urls)s::text[], %(channels)s::text[]) AS m(recipient_id, key, title, household_id, url, channels)
ORDER BY m.recipient_id, m.key
ON CONFLICT (recipient_id, key) DO NOTHING
RETURNING id, channels
"""


def notify_many(messages: Sequence[Message]) -> list[int]:
    """Insert any number of messages in one statement; hand the new ones with external channels
    to the delivery task once the transaction commits. Returns the ids created now."""
    if not messages:
        return []
    with connection.cursor() as cur:
        cur.execute(_INSERT, {
            "now": timezone.now(),
            "recipients": [m.recipient_id for m in messages],
            "keys": [m.key[:80] for m in messages],
            "titles": [str(m.title)[:200] for m in messages],
            "households": [m.household_id for m in messages],
            "urls": [m.url[:200] for m in messages],
            "channels": [",".join(m.channels) for m in messages],
        })
        rows = cur.fetchall()
    outgoing = [i for i, channels in rows if channels]
    if outgoing:
        from .tasks import deliver_notifications

        transaction.on_commit(lambda: deliver_notifications.delay(outgoing))
    return [i for i, _channels in rows]


# --- reading ------------------------------------------------------------------------------------


def unread_count(user: User) -> int:
    """The 消息 badge of every page: one plain statement (the ORM's count() costs ~1 ms of Python
    a request to build; issue 25). Same rows as Notification.objects.filter(recipient=user,
    read_at__isnull=True), under the same row-level security."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {Notification._meta.db_table} WHERE recipient_id = %s AND read_at IS NULL",
                    [user.pk])
        return cur.fetchone()[0]


def mark_read(*, user: User, ids: Sequence[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def unread(request: HttpRequest) -> dict:
    """Context processor for the 消息 badge: `unread_notifications` (one COUNT query, evaluated
    only when a template reads it) and `notifications_url` (the inbox, to match the menu entry).
    Render the badge with {% include "accounts/_unread_badge.html" %}."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0, "notifications_url": ""}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user)),
            "notifications_url": reverse("visits:inbox")}


# --- external delivery --------------------------------------------------------------------------


class DeliveryError(Exception):
    """The gateway refused or could not be reached; the message stays in the inbox."""


def _post_json(url: str, payload: dict, headers: dict | None = None) -> dict:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=settings.NOTIFY_HTTP_TIMEOUT) as response:  # noqa: S310
            raw = response.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryError(type(exc).__name__) from None
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        raise DeliveryError("not JSON") from None


def send_sms(notification: Notification) -> None:
    """The SMS gateway: POST {phone, sign, content} with the API key as a bearer token; it answers
    {"code": 0} on success."""
    phone = (notification.recipient.phone or "").strip()
    if not phone:
        raise DeliveryError("recipient has no phone")
    sign = settings.NOTIFY_SMS_SIGN
    answer = _post_json(settings.NOTIFY_SMS_URL,
                        {"phone": phone, "sign": sign, "content": f"【{sign}】{notification.title}"},
                        {"Authorization": f"Bearer {settings.NOTIFY_SMS_KEY}"})
    if answer.get("code") not in (0, "0", "OK"):
        raise DeliveryError(f"gateway code {answer.get('code')!s:.20}")


def send_wecom(notification: Notification) -> None:
    """A WeCom group robot: POST a text message to its webhook; it answers {"errcode": 0}."""
    answer = _post_json(settings.NOTIFY_WECOM_WEBHOOK, {"msgtype": "text", "text": {"content": notification.title}})
    if answer.get("errcode") != 0:
        raise DeliveryError(f"errcode {answer.get('errcode')!s:.20}")


BACKENDS = {SMS: send_sms, WECOM: send_wecom}


def configured(channel: str) -> bool:
    return bool({SMS: settings.NOTIFY_SMS_URL, WECOM: settings.NOTIFY_WECOM_WEBHOOK}.get(channel))


def _claim(notification_id: int, channel: str) -> bool:
    with connection.cursor() as cur:
        cur.execute(
            """UPDATE accounts_notification SET delivered = array_append(delivered, %s::varchar)
               WHERE id = %s AND %s = ANY(channels) AND NOT (%s = ANY(delivered))""",
            [channel, notification_id, channel, channel],
        )
        return cur.rowcount == 1


def _release(notification_id: int, channel: str) -> None:
    with connection.cursor() as cur:
        cur.execute("UPDATE accounts_notification SET delivered = array_remove(delivered, %s::varchar) WHERE id = %s",
                    [channel, notification_id])


REDELIVER_WITHIN_DAYS = 2  # an older reminder is news nobody needs by SMS any more; it stays in the inbox


def redeliver_unsent(now=None) -> list[int]:
    """Hand to the delivery task the messages of the last REDELIVER_WITHIN_DAYS days that are
    still unsent on a configured channel (their first hand-over failed, e.g. Redis was down, or
    the gateway refused them). Returns their ids."""
    now = now or timezone.now()
    live = [channel for channel in BACKENDS if configured(channel)]
    if not live:
        return []
    with connection.cursor() as cur:
        cur.execute(
            """SELECT id FROM accounts_notification
               WHERE created_at >= %(since)s
                 AND EXISTS (SELECT 1 FROM unnest(channels) AS c
                             WHERE c = ANY(%(live)s::varchar[]) AND NOT c = ANY(delivered))
               ORDER BY id""",
            {"since": now - dt.timedelta(days=REDELIVER_WITHIN_DAYS), "live": live},
        )
        ids = [row[0] for row in cur.fetchall()]
    if ids:
        from .tasks import deliver_notifications

        transaction.on_commit(lambda: deliver_notifications.delay(ids))
    return ids


def deliver(ids: Sequence[int]) -> dict[str, int]:
    """Send each notification on its external channels, at most once each. Returns counts."""
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    for notification in Notification.objects.filter(pk__in=list(ids)).select_related("recipient").order_by("id"):
        for channel in notification.channels:
            if channel not in BACKENDS or not configured(channel) or not _claim(notification.pk, channel):
                counts["skipped"] += 1
                continue
            try:
                BACKENDS[channel](notification)
            except DeliveryError as exc:
                _release(notification.pk, channel)
                counts["failed"] += 1
                logger.warning("notification %s not sent via %s: %s", notification.pk, channel, exc)
            else:
                counts["sent"] += 1
                logger.info("notification %s sent via %s", notification.pk, channel)
    return counts

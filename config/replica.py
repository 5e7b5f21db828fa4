"""Reads that may go to a PostgreSQL streaming replica (issue 25, docs/deployment.md).

With `DATABASE_REPLICA_URL` set, settings add a second connection, `replica`. Nothing is read
from it unless the code says so: `use_replica()` — a context manager and a decorator — marks the
reports, the dashboards and the big exports (and the export job). Inside it, `ReplicaRouter` sends
reads to the replica, except

- every write, which always goes to the primary (`default`), and every read after the block's
  first write (a block that wrote reads its own writes back from the primary);
- every read inside a transaction on the primary (`transaction.atomic`), which must see it.

Without `DATABASE_REPLICA_URL` there is no `replica` connection and everything uses `default`.
The figures read from the replica are as old as its replay lag; `replica_lag()` measures it and
the pages that read the replica say so."""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from django.conf import settings
from django.db import connections

REPLICA = "replica"
logger = logging.getLogger(__name__)

# None outside a use_replica() block; inside it a one-item list: [True] once the block has written.
_block: ContextVar[list[bool] | None] = ContextVar("care_replica_block", default=None)


def configured() -> bool:
    return REPLICA in settings.DATABASES


class use_replica(contextlib.ContextDecorator):  # noqa: N801 - used like a function
    """`with use_replica():` / `@use_replica()` — reads in the block may be served by the replica."""

    def __enter__(self):
        self._token = _block.set([False])
        return self

    def __exit__(self, *exc) -> None:
        _block.reset(self._token)


def streamed(chunks: Iterator) -> Iterator:
    """A streamed response's body is read after its view returned, outside the view's block:
    read it in a block of its own."""
    with use_replica():
        yield from chunks


def on_replica(view: Callable) -> Callable:
    """A view decorator: the view's reads may be served by the replica (`use_replica()`)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        with use_replica():
            return view(*args, **kwargs)

    return wrapped


# Fallback to the primary (issue 25): a replica that cannot be asked, or whose replay lags more
# than REPLICA_MAX_LAG_SECONDS, serves nothing; the primary answers instead. Its health is checked
# at most once per REPLICA_CHECK_SECONDS per process (one small query on the replica), not per
# query; between checks the last answer stands. Both can be set in settings (defaults below).
DEFAULT_MAX_LAG_SECONDS = 300
DEFAULT_CHECK_SECONDS = 10
_health = {"checked_at": -math.inf, "usable": True}
_health_lock = threading.Lock()


def _max_lag() -> int:
    return getattr(settings, "REPLICA_MAX_LAG_SECONDS", DEFAULT_MAX_LAG_SECONDS)


def replica_usable() -> bool:
    """True if the replica answered its last check with a lag within REPLICA_MAX_LAG_SECONDS.
    Re-checked when the last check is older than REPLICA_CHECK_SECONDS; while one thread checks,
    the others use the last answer. A failed check closes the replica connection, so the next
    check connects afresh."""
    now = time.monotonic()
    if now - _health["checked_at"] < getattr(settings, "REPLICA_CHECK_SECONDS", DEFAULT_CHECK_SECONDS):
        return _health["usable"]
    if not _health_lock.acquire(blocking=False):
        return _health["usable"]
    try:
        lag = replica_lag()
        usable = lag is not None and lag <= _max_lag()
        if lag is None:
            with contextlib.suppress(Exception):
                connections[REPLICA].close()
        if usable != _health["usable"]:
            logger.warning("replica %s (lag %s s, limit %s s)", "usable again" if usable else
                           "not used: reads go to the primary", lag, _max_lag())
        _health.update(checked_at=time.monotonic(), usable=usable)
        return usable
    finally:
        _health_lock.release()


def forget_health() -> None:
    """Check the replica again on the next read (tests; after a failover)."""
    _health.update(checked_at=-math.inf, usable=True)


class ReplicaRouter:
    """`DATABASE_ROUTERS`: reads in a use_replica() block to the replica, everything else to default
    (and those reads too while the replica is down or lags too far: `replica_usable()`)."""

    def db_for_read(self, model, **hints) -> str | None:
        block = _block.get()
        if block is None or block[0] or not configured():
            return None
        if connections["default"].in_atomic_block:
            return None
        if not replica_usable():
            return None
        return REPLICA

    def db_for_write(self, model, **hints) -> str | None:
        block = _block.get()
        if block is not None:
            block[0] = True
        return "default"

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == "default"


def replica_lag() -> int | None:
    """Whole seconds the replica's data is behind the primary: `now() - pg_last_xact_replay_timestamp()`
    rounded up (at least 1 while it has received changes it has not replayed yet), 0 when it has
    replayed all it received (an idle primary sends nothing new, so its last replayed transaction
    may be old). None without a replica, or if the replica cannot be asked."""
    if not configured():
        return None
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(
                "SELECT pg_is_in_recovery(), CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
                "ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END")
            in_recovery, lag = cursor.fetchone()
    except Exception:  # noqa: BLE001 - a page must not fail because the lag cannot be read
        return None
    if not in_recovery or lag is None or lag == 0:
        return 0
    return max(math.ceil(float(lag)), 1)


def read_cursor():
    """A cursor for raw read-only SQL, routed as the ORM's reads are: on the replica inside a
    use_replica() block, else on the primary (`django.db.connection` is always the primary)."""
    return connections[ReplicaRouter().db_for_read(None) or "default"].cursor()


def reading_replica() -> bool:
    """True in a use_replica() block that would send its next read to the replica."""
    return ReplicaRouter().db_for_read(None) == REPLICA

"""Reads can go to a replica (issue 25, config/replica.py).

The router's choices, and a real PostgreSQL streaming replica: a primary and a replica of this
module's own (initdb + pg_basebackup -R, tests/ops/servers.py), gunicorn started with
DATABASE_URL on the primary and DATABASE_REPLICA_URL on the replica. With the replica's replay
paused, a household written on the primary is missing from the report and the dashboard — they
are read from the replica — while the report's audit row is on the primary, and the dashboard
says how old its figures are. Every wait is bounded; the servers are stopped by finalizers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import pytest
import requests
from django.db import connections, transaction
from django.test import override_settings
from django.urls import reverse

from config import replica
from tests.conftest import TOWNSHIP, load_reference_data

from . import servers

D = dt.date
ON = "2026-06-20"


# --------------------------------------------------------------------------- the router


def _with_replica(settings_dict: dict) -> dict:
    return {**settings_dict, "replica": dict(settings_dict["default"])}


@pytest.mark.django_db(transaction=True)  # a test transaction would itself keep reads on the primary
def test_the_router_sends_reads_to_the_replica_only_in_a_use_replica_block_and_never_after_a_write(monkeypatch):
    from django.conf import settings

    from accounts.models import Area

    router = replica.ReplicaRouter()
    # No DATABASE_REPLICA_URL: everything on default, also in a block.
    with replica.use_replica():
        assert router.db_for_read(Area) is None and not replica.reading_replica()
    assert replica.replica_lag() is None
    replica.forget_health()
    monkeypatch.setattr(replica, "replica_lag", lambda: 0)  # a healthy replica (the fallback: below)
    with override_settings(DATABASES=_with_replica(settings.DATABASES)):
        assert router.db_for_read(Area) is None  # outside a block: the primary
        with replica.use_replica():
            assert router.db_for_read(Area) == "replica"
            with transaction.atomic():  # a transaction on the primary reads its own rows
                assert router.db_for_read(Area) is None
            assert router.db_for_read(Area) == "replica"
            assert router.db_for_write(Area) == "default"
            assert router.db_for_read(Area) is None  # read after the block's write: the primary
        assert router.db_for_read(Area) is None
        with replica.use_replica():  # a new block starts on the replica again
            assert router.db_for_read(Area) == "replica"

        @replica.on_replica
        def view():
            return router.db_for_read(Area)

        assert view() == "replica"
        chunks = replica.streamed(iter([1, 2]))
        assert router.db_for_read(Area) is None
        assert [(c, router.db_for_read(Area)) for c in chunks] == [(1, "replica"), (2, "replica")]
        assert router.db_for_read(Area) is None
    assert router.db_for_write(Area) == "default"
    assert router.allow_migrate("default", "accounts") and not router.allow_migrate("replica", "accounts")


@pytest.mark.django_db(transaction=True)
def test_reads_fall_back_to_the_primary_while_the_replica_is_down_or_lags_checked_once_per_interval(monkeypatch):
    """A replica that cannot be asked (lag None) or lags more than REPLICA_MAX_LAG_SECONDS serves
    nothing; its health is asked at most once per REPLICA_CHECK_SECONDS, not per query."""
    from django.conf import settings

    from accounts.models import Area

    router = replica.ReplicaRouter()
    clock, lag, asked = [1000.0], [None], []
    monkeypatch.setattr(replica.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(replica, "replica_lag", lambda: asked.append(clock[0]) or lag[0])
    replica.forget_health()
    try:
        with override_settings(DATABASES=_with_replica(settings.DATABASES), REPLICA_MAX_LAG_SECONDS=60,
                               REPLICA_CHECK_SECONDS=10), replica.use_replica():
            # Down: every read of the block goes to the primary, and the replica is asked once.
            assert [router.db_for_read(Area) for _ in range(50)] == [None] * 50 and not replica.reading_replica()
            assert len(asked) == 1
            lag[0] = 3  # back, 3 s behind: still the primary until the next check is due
            clock[0] += 9.5
            assert router.db_for_read(Area) is None and len(asked) == 1
            clock[0] += 0.5
            assert router.db_for_read(Area) == "replica" and len(asked) == 2
            assert [router.db_for_read(Area) for _ in range(50)] == ["replica"] * 50 and len(asked) == 2
            lag[0] = 61  # lagging past the limit: the primary again from the next check on
            clock[0] += 10
            assert router.db_for_read(Area) is None and len(asked) == 3 and replica.read_cursor().db.alias == "default"
            lag[0] = 60  # at the limit: usable
            clock[0] += 10
            assert router.db_for_read(Area) == "replica" and len(asked) == 4
    finally:
        replica.forget_health()


@pytest.mark.django_db(transaction=True)
def test_a_replica_that_refuses_connections_is_not_used(monkeypatch):
    """The real check against a server that is not there: replica_lag() is None, reads stay on the
    primary, and the page still answers."""
    from django.conf import settings

    from accounts.models import Area

    databases = _with_replica(settings.DATABASES)
    databases["replica"].update(HOST="127.0.0.1", PORT="1", OPTIONS={**databases["replica"].get("OPTIONS", {}),
                                                                   "connect_timeout": 2})
    replica.forget_health()
    try:
        with override_settings(DATABASES=databases), replica.use_replica():
            monkeypatch.setattr(replica, "connections", _Connections(databases))
            assert replica.ReplicaRouter().db_for_read(Area) is None
            assert list(Area.objects.values_list("code", flat=True)[:1]) is not None
    finally:
        replica.forget_health()


class _Connections:
    """django.db.connections with the test's `replica` alias (override_settings does not rebuild
    the connection handler)."""

    def __init__(self, databases):
        from django.db.utils import ConnectionHandler

        self._handler = ConnectionHandler(databases)

    def __getitem__(self, alias):
        if alias == "default":
            return connections["default"]
        return self._handler[alias]


# --------------------------------------------------------------------------- a real streaming replica

SERVERS = pytest.mark.django_db(transaction=True)
DATABASE = "care_replica"


@pytest.fixture(scope="module")
def primary_and_replica(django_db_setup, django_db_blocker):
    """A primary with a copy of this worker's test database, and a streaming replica of it."""
    primary = servers.TempPostgres()
    standby = None
    try:
        primary.start()
        with django_db_blocker.unblock():
            source = dict(connections["default"].settings_dict)
            connections["default"].close()
        primary.copy_database(source, DATABASE)
        with django_db_blocker.unblock(), servers.django_pointed_at(DATABASE, primary.port):
            load_reference_data()
        standby = servers.TempPostgres(primary)
        standby.start()
        servers.wait_until(lambda: standby.psql("SELECT pg_is_in_recovery()") == "t", timeout=60,
                           what="the replica to run in recovery")
        yield primary, standby
    finally:
        if standby is not None:
            standby.destroy()
        primary.destroy()


@pytest.fixture
def started():
    """Application processes to stop at the end; their logs are printed (shown when the test failed)."""
    processes: list[servers.Process] = []
    yield processes.append
    for process in processes:
        process.stop()
        print(f"--- {' '.join(process.process.args[:4])}\n{process.tail()}")


def caught_up(primary, standby) -> None:
    lsn = primary.psql("SELECT pg_current_wal_lsn()")
    servers.wait_until(lambda: standby.psql(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn") == "t",
                       timeout=60, what="the replica to replay the primary's changes")


def overdue_household(code: str):
    """A tier-A household visited on 2026-06-01 and not since: overdue on 2026-06-20."""
    from beneficiaries.models import Household
    from tests.factories import HouseholdFactory, PairingFactory, cadre_user
    from tests.visits.factories import VisitFactory
    from visits import actions

    _user, cadre = cadre_user(f"cadre_{code}")
    household = HouseholdFactory(code=code, tier="A", tier_since=D(2026, 1, 1))
    PairingFactory(household=household, cadre=cadre, started_on=D(2026, 5, 1))
    VisitFactory(household=household, visited_on=D(2026, 6, 1))
    actions.schedule_refresh(households=Household.objects.filter(pk=household.pk), today=D(2026, 6, 20))
    return household, cadre


def report_rows(http: requests.Session, base: str) -> dict[str, list[str]]:
    """The overdue report's rows by household code."""
    answer = http.get(f"{base}{reverse('visits:overdue_report')}?date={ON}&area={TOWNSHIP}", timeout=60)
    assert answer.status_code == 200, answer.text[:2000]
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][4] == "结对干部"
    return {row[0]: row for row in rows[1:]}


@SERVERS
def test_reports_and_dashboards_are_read_from_the_replica_and_say_how_fresh_they_are(
        primary_and_replica, django_db_blocker, started, tmp_path):
    from accounts.models import Role
    from bench.lib.as_request import client_for
    from tests.factories import user_with_role
    from tests.visits.factories import VisitFactory

    primary, standby = primary_and_replica
    redis = servers.TempRedis()
    redis.start()
    try:
        first, second, late = (f"{c}{uuid.uuid4().hex[:6]}" for c in "RSL")
        with django_db_blocker.unblock(), servers.django_pointed_at(DATABASE, primary.port):
            official = user_with_role(Role.TOWNSHIP, TOWNSHIP, username=f"rep_{first}")
            session = client_for(official).cookies["sessionid"].value
            _household, cadre = overdue_household(first)
            visited, _cadre = overdue_household(second)
        caught_up(primary, standby)

        env = servers.app_env(database_url=primary.url(DATABASE), redis_url=redis.url, media_root=tmp_path / "media")
        env["DATABASE_REPLICA_URL"] = standby.url(DATABASE)
        web, base = servers.start_web(env, tmp_path / "web.log")
        started(web)
        http = requests.Session()
        http.cookies.set("sessionid", session)
        dashboard = f"{base}{reverse('oversight:dashboard', args=[TOWNSHIP])}?on={ON}"

        rows = report_rows(http, base)
        assert rows[first][4] == cadre.name and rows[second][5] == "2026-06-01"

        # The replica stops replaying; a household written on the primary now is not on it.
        standby.psql("SELECT pg_wal_replay_pause()")
        servers.wait_until(lambda: standby.psql("SELECT pg_get_wal_replay_pause_state()") == "paused",
                           timeout=30, what="the replica to pause its replay")
        with django_db_blocker.unblock(), servers.django_pointed_at(DATABASE, primary.port):
            overdue_household(late)
            # And a change to a row the report lists: its streamed part must come from the replica too.
            type(cadre).objects.filter(pk=cadre.pk).update(name="改名后的干部")
            VisitFactory(household=visited, visited_on=D(2026, 6, 10))
        assert primary.psql(f"SELECT count(*) FROM beneficiaries_household WHERE code = '{late}'", DATABASE) == "1"
        assert standby.psql(f"SELECT count(*) FROM beneficiaries_household WHERE code = '{late}'", DATABASE) == "0"

        rows = report_rows(http, base)
        assert late not in rows  # the report was read from the replica: which households ...
        assert rows[first][4] == cadre.name  # ... and their rows, streamed after the view returned
        assert rows[second][5] == "2026-06-01"
        # Its audit row was written on the primary (the replica is read-only: a write there fails).
        audits = (f"SELECT count(*) FROM accounts_auditevent WHERE object_type = 'visits.overdue_report' "
                  f"AND actor_id = {official.pk}")
        assert primary.psql(audits, DATABASE) == "2"
        page = http.get(dashboard, timeout=120)
        assert page.status_code == 200, page.text[:2000]
        assert 'data-testid="replica-lag"' in page.text and "秒前的数据" in page.text

        # Replay resumes: the replica catches up and the report and the dashboard with it.
        standby.psql("SELECT pg_wal_replay_resume()")
        caught_up(primary, standby)
        rows = report_rows(http, base)
        assert late in rows and rows[first][4] == "改名后的干部"
        assert second not in rows or rows[second][5] == "2026-06-10"
        page = http.get(dashboard, timeout=120)
        assert "数据来自只读副本，与主库同步。" in page.text
    finally:
        redis.stop()


@pytest.mark.django_db
def test_without_a_replica_the_dashboard_does_not_mention_one():
    from accounts.models import Role
    from bench.lib.as_request import client_for
    from tests.factories import user_with_role

    client = client_for(user_with_role(Role.TOWNSHIP, TOWNSHIP, username="norep"))
    page = client.get(f"{reverse('oversight:dashboard', args=[TOWNSHIP])}?on={ON}")
    assert page.status_code == 200 and "只读副本" not in page.content.decode()

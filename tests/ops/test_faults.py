"""Faults on purpose (docs/testing.md): each test starts real servers of its own — a PostgreSQL
cluster, a redis-server, gunicorn, a Celery worker, a tmpfs for the media — breaks one of them
in the middle of the work, and checks that nothing was lost, half-written or done twice.

The shared PostgreSQL and Redis are never touched by a fault. Every wait is bounded; every
server is stopped by a finalizer, also when the test fails."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import re
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import COUNTY, TOWNSHIP, load_reference_data

from . import servers

# --------------------------------------------------------------------------- fixtures

# Transactional: the test database must exist (its copy is the throwaway one's starting point),
# and this process's connection must not sit in a test transaction when it is pointed elsewhere.
SERVERS = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker):
    """A PostgreSQL cluster of this module's own, with a template database copied from this test
    worker's test database (schema, reference rows); each test gets a fresh copy of it."""
    pg = servers.TempPostgres()
    try:
        pg.start()
        with django_db_blocker.unblock():
            source = dict(connections["default"].settings_dict)
            connections["default"].close()
        pg.copy_database(source, "care_template")
        # A transactional test before this one may have flushed the source: put the areas and
        # the other reference rows back (as tests/conftest.py does for the test database).
        with django_db_blocker.unblock(), servers.django_pointed_at("care_template", pg.port):
            load_reference_data()
        yield pg
    finally:
        pg.destroy()


@pytest.fixture
def database(cluster, django_db_blocker):
    name = f"fault_{uuid.uuid4().hex[:8]}"
    cluster.psql(f"CREATE DATABASE {name} TEMPLATE care_template")
    yield name
    with django_db_blocker.unblock():
        connections["default"].close()
    if cluster.running():
        cluster.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def redis_server():
    redis = servers.TempRedis()
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def orm(cluster, database, django_db_blocker):
    """`with orm():` — this process's ORM on the throwaway database, for setting up and reading back."""
    def pointed():
        stack = contextlib.ExitStack()
        stack.enter_context(django_db_blocker.unblock())
        stack.enter_context(servers.django_pointed_at(database, cluster.port))
        return stack
    return pointed


@pytest.fixture
def started():
    """Register an application process to be stopped; its log is printed (pytest shows it when
    the test failed)."""
    processes: list[servers.Process] = []
    yield processes.append
    for process in processes:
        process.stop()
        print(f"--- {' '.join(process.process.args[:4])}\n{process.tail()}")


def village_in_township() -> str:
    from accounts.models import Area

    return Area.objects.filter(parent_id=TOWNSHIP).order_by("code").values_list("code", flat=True).first()


def wait_sql(cluster, database: str, sql: str, *, timeout: float, what: str) -> str:
    return servers.wait_until(lambda: cluster.psql(sql, database) not in ("", "0", "f"), timeout=timeout, what=what,
                              every=0.05) and cluster.psql(sql, database)


# --------------------------------------------------------------------------- 1. worker killed mid-commit


HOUSEHOLDS = 500


@SERVERS
def test_a_worker_killed_in_the_middle_of_an_import_commit_writes_nothing_and_the_job_runs_again(
        cluster, database, redis_server, orm, started, tmp_path):
    import psycopg
    from celery import Celery

    from beneficiaries.models import Household, Person
    from imports import jobs
    from imports.models import ImportJob, ImportStatus
    from tests.beneficiaries.factories import county_officer, roster_sheet, twenty_households

    with orm():
        officer = county_officer()
        village = village_in_township()
        rows = [row for start in range(0, HOUSEHOLDS, 20) for row in twenty_households(village, start=start)]
        job = jobs.start(kind="roster", user=officer, filename="roster.csv", content=roster_sheet(rows, "csv"))
        job.refresh_from_db()
        assert job.status == ImportStatus.CHECKED, job.summary  # checked here (tasks are eager in this process)
        # What confirm() does before it hands the commit to the worker.
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.COMMITTING)
    env = servers.app_env(database_url=cluster.url(database), redis_url=redis_server.url,
                          media_root=jobs.UPLOAD_DIR.parent.parent)
    worker = servers.start_worker(env, tmp_path / "worker.log")
    started(worker)
    # The audit rows are the commit's last write: while the test holds the audit table, the
    # commit stops there with its households and people written and not committed.
    holder = psycopg.connect(host="127.0.0.1", port=cluster.port, dbname=database, user="postgres")
    try:
        holder.execute("LOCK TABLE accounts_auditevent IN SHARE ROW EXCLUSIVE MODE")
        Celery(broker=redis_server.url, set_as_current=False).send_task("imports.tasks.commit_job",
                                                                        args=[str(job.pk)])
        wait_sql(cluster, database, "SELECT count(*) FROM pg_locks AS l JOIN pg_class AS c ON c.oid = l.relation "
                 "JOIN pg_stat_activity AS a ON a.pid = l.pid WHERE c.relname = 'beneficiaries_person' "
                 "AND l.mode = 'RowExclusiveLock' AND a.wait_event_type = 'Lock'", timeout=90,
                 what="the commit to write the people and wait at the audit rows")
        assert cluster.psql("SELECT count(*) FROM beneficiaries_household", database) == "0"  # not committed
        worker.kill()  # SIGKILL to the worker and its pool, as the OOM killer or a lost machine would
    finally:
        holder.close()
    wait_sql(cluster, database, "SELECT count(*) = 0 FROM pg_stat_activity WHERE datname = current_database() "
             "AND pid <> pg_backend_pid() AND backend_type = 'client backend'", timeout=30,
             what="PostgreSQL to end the dead worker's session")

    with orm():
        assert Household.objects.count() == 0 and Person.objects.count() == 0  # nothing half-written
        client = Client()
        client.force_login(officer)
        page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
        job.refresh_from_db()
        assert job.status == ImportStatus.FAILED
        assert "导入失败，未写入任何数据" in page and "导入中断" in page and 'data-testid="job-retry"' in page
        # Run again (here the commit runs in this process: tasks are eager in the test settings).
        client.post(reverse("imports:confirm", args=[job.pk]))
        job.refresh_from_db()
        assert job.status == ImportStatus.DONE, job.summary
        assert Household.objects.count() == HOUSEHOLDS and Person.objects.count() == 2 * HOUSEHOLDS
        # The dead worker's message, if Redis ever hands it out again, finds the job done.
        assert jobs.run_commit(job.pk).status == ImportStatus.DONE
        assert Household.objects.count() == HOUSEHOLDS


# --------------------------------------------------------------------------- 2. PostgreSQL restarted


@SERVERS
def test_postgresql_restarted_while_cadres_save_visits_the_outbox_retries_and_each_visit_is_stored_once(
        cluster, database, redis_server, orm, started, tmp_path):
    from tests.factories import HouseholdFactory, PairingFactory, cadre_user
    from tests.visits.factories import form_answers
    from visits.models import Visit

    with orm():
        user, cadre = cadre_user("cadre_fault")
        households = [HouseholdFactory(tier="A") for _ in range(3)]
        for household in households:
            PairingFactory(household=household, cadre=cadre, started_on=dt.date(2026, 1, 1))
        client = Client()
        client.force_login(user)
        session = client.cookies["sessionid"].value
    env = servers.app_env(database_url=cluster.url(database), redis_url=redis_server.url,
                          media_root=tmp_path / "media")
    urls = {household.pk: reverse("visits:record", args=[household.pk]) for household in households}
    web, base = servers.start_web(env, tmp_path / "web.log")
    started(web)

    http = requests.Session()
    http.cookies.set("sessionid", session)
    page = http.get(f"{base}/visits/mine/", timeout=30)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    today = timezone.localdate().isoformat()  # the server's calendar day (Asia/Shanghai)
    # The outbox: one entry per visit, its token fixed when the cadre pressed save.
    outbox = [(households[i % 3], str(uuid.uuid4()), f"第{i}次走访") for i in range(6)]
    failures: list[int] = []

    def send(household, token, notes) -> dict | None:
        """One attempt, as care-outbox.js sends it: the same form and token every time; anything
        but a stored answer naming the token (a 500, a refused connection) means: try again later."""
        data = form_answers(visited_on=today, client_token=token, notes=notes)
        try:
            answer = http.post(base + urls[household.pk], data=data, timeout=30,
                               headers={"Accept": "application/json", "X-Requested-With": "XMLHttpRequest",
                                        "X-CSRFToken": csrf, "Referer": base + "/"})
        except requests.ConnectionError:
            failures.append(0)
            return None
        body = answer.json() if answer.headers.get("Content-Type", "").startswith("application/json") else {}
        if answer.status_code in (200, 201) and body.get("ok") and body.get("client_token") == token:
            return body
        failures.append(answer.status_code)
        return None

    def flush(entries, deadline: float) -> list[dict]:
        stored = []
        for entry in entries:
            while (body := send(*entry)) is None:
                assert time.monotonic() < deadline, f"the outbox could not send {entry[2]}; failures {failures}"
                time.sleep(0.2)  # the outbox waits before it tries again
            stored.append(body)
        return stored

    assert flush(outbox[:2], time.monotonic() + 30)[0]["created"]
    cluster.stop()  # PostgreSQL goes down between two saves …
    assert send(*outbox[2]) is None  # … the save fails; the entry stays in the outbox
    restart = threading.Thread(target=cluster.start)
    restart.start()  # … and comes back while the outbox keeps trying
    stored = flush(outbox[2:], time.monotonic() + 90)
    restart.join(60)
    refused = len(failures)
    cluster.restart()  # once more, with every kept connection cut; then each entry is sent again
    replayed = flush(outbox, time.monotonic() + 90)

    assert refused, "PostgreSQL down should have refused at least one save"
    # Once PostgreSQL is back, no request fails on a connection the restart cut (CONN_HEALTH_CHECKS).
    assert len(failures) == refused, failures
    assert [b["created"] for b in stored] == [True] * 4
    assert [b["created"] for b in replayed] == [False] * 6
    with orm():
        tokens = list(Visit.objects.values_list("client_token", flat=True))
    assert sorted(str(t) for t in tokens) == sorted(token for _h, token, _n in outbox)  # each one once


# --------------------------------------------------------------------------- 3. Redis stopped in the daily job


class Gateway(BaseHTTPRequestHandler):
    """A WeCom robot webhook that writes down what it is sent."""

    received: list[str] = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Gateway.received.append(body["text"]["content"])
        answer = b'{"errcode": 0}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@SERVERS
def test_redis_stopped_during_the_daily_job_the_next_run_catches_up_without_duplicates(
        cluster, database, redis_server, orm, started, tmp_path):
    import psycopg
    from celery import Celery

    from accounts.models import Notification, Role
    from beneficiaries.models import Household
    from tests.factories import HouseholdFactory, PairingFactory, cadre_user, user_with_role
    from tests.visits.factories import VisitFactory
    from visits.actions import OVERDUE_JOB_LOCK, schedule_refresh
    from visits.models import Escalation, OverdueAlert

    day = dt.date(2026, 6, 15)
    with orm():
        _user, cadre = cadre_user("cadre_daily")
        for _ in range(3):  # last visited 50 days ago: overdue, escalated to the township and the county
            household = HouseholdFactory(tier="A")
            PairingFactory(household=household, cadre=cadre, started_on=dt.date(2026, 1, 1))
            VisitFactory(household=household, visited_on=day - dt.timedelta(days=50))
        schedule_refresh(households=Household.objects.all(), today=day)
        user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xj_daily")
        user_with_role(Role.COUNTY, COUNTY, username="ls_daily")
    Gateway.received = []
    gateway = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    try:
        env = servers.app_env(database_url=cluster.url(database), redis_url=redis_server.url,
                              media_root=tmp_path / "media")
        env["NOTIFY_WECOM_WEBHOOK"] = f"http://127.0.0.1:{gateway.server_port}/wecom"
        worker = servers.start_worker(env, tmp_path / "worker.log")
        started(worker)
        celery = Celery(broker=redis_server.url, backend=redis_server.url, set_as_current=False)

        # Hold the job's lock so that it waits half-way; stop Redis; let it go on.
        holder = psycopg.connect(host="127.0.0.1", port=cluster.port, dbname=database, user="postgres",
                                 autocommit=True)
        try:
            holder.execute("SELECT pg_advisory_lock(%s)", [OVERDUE_JOB_LOCK])
            celery.send_task("visits.tasks.overdue_alerts_daily", args=[day.isoformat()])
            wait_sql(cluster, database, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                     "AND wait_event_type = 'Lock' AND wait_event = 'advisory'", timeout=60,
                     what="the daily job to reach its lock")
            redis_server.stop()
        finally:
            holder.close()  # the job goes on, with Redis gone
        wait_sql(cluster, database, "SELECT count(*) FROM visits_escalation", timeout=60,
                 what="the daily job to commit")
        # The job commits, then cannot hand the messages to the delivery task (nor store its result).
        servers.wait_until(lambda: re.search(r"overdue_alerts_daily\[\S+\] (succeeded|raised)|raised outside body",
                                             worker.tail(200_000)), timeout=60, what="the daily job to end")
        with orm():
            alerts, escalations = OverdueAlert.objects.count(), Escalation.objects.count()
            unsent = list(Notification.objects.exclude(channels=[]).values_list("id", flat=True))
        assert alerts == 3 and escalations == 6 and len(unsent) == 6  # township + county, one each per household
        assert Gateway.received == []  # the hand-over to the delivery task was lost with Redis

        # Redis comes back (empty: it kept nothing); the next day's run catches up.
        redis_server.start()
        next_day = (day + dt.timedelta(days=1)).isoformat()
        result = celery.send_task("visits.tasks.overdue_alerts_daily", args=[next_day])
        assert result.get(timeout=90) == {**result.result, "opened": 0, "escalated_township": 0,
                                          "escalated_county": 0, "redelivered": 6}
        servers.wait_until(lambda: len(Gateway.received) >= 6, timeout=60, what="the messages to be sent")
        # And a run after that (a retry, a second worker) hands nothing over again.
        again = celery.send_task("visits.tasks.overdue_alerts_daily", args=[next_day]).get(timeout=90)
        assert again["opened"] == 0 and again["redelivered"] == 0
        with orm():
            assert OverdueAlert.objects.count() == alerts and Escalation.objects.count() == escalations
            assert Notification.objects.exclude(channels=[]).count() == 6
            assert all(n.delivered == ["wecom"] for n in Notification.objects.exclude(channels=[]))
        assert len(Gateway.received) == 6 and len(set(Gateway.received)) == 6  # each message once
    finally:
        gateway.shutdown()


# --------------------------------------------------------------------------- 4. the media disk full


@pytest.fixture
def full_media(tmp_path, settings):
    """A 256 KiB tmpfs as MEDIA_ROOT, filled to the last byte."""
    media = tmp_path / "media"
    media.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs", str(media)], check=True,
                   capture_output=True, timeout=30)
    try:
        fd = os.open(media / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        finally:
            os.close(fd)
        settings.MEDIA_ROOT = str(media)
        yield media
    finally:
        subprocess.run(["umount", "-l", str(media)], capture_output=True, timeout=30)


@pytest.mark.django_db
def test_a_full_media_disk_refuses_the_photo_in_chinese_and_keeps_the_visit(full_media, client):
    from tests.factories import HouseholdFactory, PairingFactory, cadre_user
    from tests.visits.factories import form_answers
    from visits.models import Visit, VisitPhoto

    user, cadre = cadre_user("cadre_photo")
    household = HouseholdFactory(tier="A")
    PairingFactory(household=household, cadre=cadre, started_on=dt.date(2026, 5, 1))
    client.force_login(user)
    token = str(uuid.uuid4())
    from tests.factories import jpeg_bytes

    photo = SimpleUploadedFile("visit.jpg", jpeg_bytes(), content_type="image/jpeg")  # a real photo: it is re-encoded
    with time_machine.travel(dt.datetime(2026, 6, 20, 9, tzinfo=dt.UTC), tick=False):
        answer = client.post(reverse("visits:record", args=[household.pk]),
                             form_answers(visited_on="2026-06-20", client_token=token, notes="送米送油", photos=[photo]),
                             HTTP_ACCEPT="application/json")
        assert answer.status_code == 201, answer.content.decode()
        body = answer.json()
        assert body["ok"] and body["photos_lost"] and "照片未能保存：服务器存储空间不足" in body["message"]
        visit = Visit.objects.get()
        assert visit.notes == "送米送油" and str(visit.client_token) == token and visit.counted
        assert not VisitPhoto.objects.exists()
        assert [p.name for p in full_media.rglob("*") if p.is_file()] == ["filler"]  # no partial file left behind
        # The outbox sends the entry again (its answer was lost): the same visit, not a second one.
        again = client.post(reverse("visits:record", args=[household.pk]),
                            form_answers(visited_on="2026-06-20", client_token=token, notes="送米送油"),
                            HTTP_ACCEPT="application/json")
    assert again.status_code == 200 and Visit.objects.count() == 1

"""The seams between apps (issue 22 "Structure"): the roster publishes its changes, the import
runner runs registered importers, the demo is composed above the apps, and both balances
beside a ledger are guarded by one database function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.db import connection

from beneficiaries import events
from imports import registry

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
    return out


@pytest.mark.parametrize("module", ["beneficiaries/actions.py", "beneficiaries/roster_io.py",
                                    "beneficiaries/pairing_views.py"])
def test_the_roster_does_not_import_visits(module):
    assert "visits" not in imported_modules(ROOT / module)


def test_the_import_runner_imports_no_app_that_owns_data():
    for path in (ROOT / "imports").glob("*.py"):
        assert not imported_modules(path) & {"beneficiaries", "visits"}, path.name


def test_the_demo_command_imports_no_other_app():
    used = imported_modules(ROOT / "accounts/management/commands/seed_demo.py")
    assert not used & {"beneficiaries", "visits", "custody", "services", "oversight", "assistance", "exchange"}


def test_visits_subscribes_to_roster_changes_and_both_importers_are_registered():
    from visits.actions import on_roster_changed

    assert on_roster_changed in events.subscribers(events.ROSTER_CHANGED)
    assert registry.importer_for("roster").__module__ == "beneficiaries.import_job"
    assert registry.importer_for("visits").__module__ == "visits.imports"


def test_publish_calls_every_subscriber_with_the_payload():
    seen = []

    def handler(**payload):
        seen.append(payload)

    events.subscribe("test-event", handler)
    events.subscribe("test-event", handler)  # twice: still once
    events.publish("test-event", households="qs", today="d")
    assert seen == [{"households": "qs", "today": "d"}]


def test_every_demo_step_resolves():
    from django.utils.module_loading import import_string

    from config.demo import DEMO_STEPS

    assert all(callable(import_string(p)) for p in DEMO_STEPS)


@pytest.mark.django_db
def test_custody_and_reserve_balances_share_one_guard_function():
    with connection.cursor() as cur:
        cur.execute("""SELECT t.tgname, p.proname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
                       WHERE t.tgname IN ('custody_account_balance_from_ledger', 'assistance_reserve_balance_from_ledger')""")
        rows = dict(cur.fetchall())
        cur.execute("SELECT count(*) FROM pg_proc WHERE proname IN ('custody_balance_matches_ledger', "
                    "'assistance_reserve_balance_matches_ledger')")
        (old,) = cur.fetchone()
    assert rows == {"custody_account_balance_from_ledger": "balance_matches_ledger",
                    "assistance_reserve_balance_from_ledger": "balance_matches_ledger"}
    assert old == 0

"""The demo seed of `make run` (`manage.py seed_demo`), composed above the apps.

Each app seeds its own demo data in its own `demo.py`; this list puts the steps in dependency
order (the roster before visits, visits before what reads them). To add an app's demo data,
append one dotted path. A step is called as `step(households=..., seed=..., stdout=...)` (it may
ignore what it does not need: accept `**_kwargs`) and must be idempotent — `make run` seeds on
every start.

The users of every role come first and are not a step: `accounts.demo.seed_users` (the command
prints them with their password at the end)."""

from __future__ import annotations

from django.utils.module_loading import import_string

DEMO_STEPS: list[str] = [
    "beneficiaries.demo.seed_roster",
    "visits.demo.seed_visits",
    "custody.demo.seed_custody",
    "services.demo.seed_services",
    "oversight.demo.seed_prefecture",
    "assistance.demo.seed_assistance",
    "accounts.demo_otp.seed_demo_devices",
    "exchange.demo.seed_exchange",
    "earlywarning.demo.demo_load",
    "campaigns.demo.demo_load",
    # Later apps: one line each.
]


def seed_all(*, households: int, seed: int, stdout=None) -> None:
    for path in DEMO_STEPS:
        import_string(path)(households=households, seed=seed, stdout=stdout)

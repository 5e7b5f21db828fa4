"""Shared by tests/bench_rls_cost.py and tests/bench_rls_explain.py: the demo of 雷山县 seeded
inside the test's transaction, and a role that is subject to row-level security (not the owner,
not a superuser) with the application's grants."""

import uuid

from django.db import connection


def seed_demo_and_subject_role(households: int, prefix: str) -> str:
    from django.utils.module_loading import import_string

    from accounts import demo as accounts_demo
    from config.demo import DEMO_STEPS

    accounts_demo.seed_users()
    for path in DEMO_STEPS:
        if not path.endswith(".seed_prefecture"):
            import_string(path)(households=households, seed=7, stdout=None)
    role = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN NOSUPERUSER NOBYPASSRLS")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
    return role

"""manage.py db_roles — create or refresh the owning and the application database roles.

Run once per database as a superuser (the DBA), e.g.
    DATABASE_URL=postgres://postgres@db:5432/care DB_OWNER_PASSWORD=... DB_APP_PASSWORD=... \
        manage.py db_roles
Idempotent: creates missing roles, corrects their attributes, sets passwords when given, gives
every object of the schema to the owner and (re)sets the application role's privileges.
`--grants-only` just refreshes the privileges (what `migrate_as_owner` runs after migrating)."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from accounts import dbroles


class Command(BaseCommand):
    help = "Create/refresh the database roles care_owner (owns everything) and care_app (owns nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--owner", default=settings.DB_OWNER_ROLE)
        parser.add_argument("--app", default=settings.DB_APP_ROLE)
        parser.add_argument("--grants-only", action="store_true",
                            help="only refresh the application role's privileges (as the owner)")

    def handle(self, *args, owner: str, app: str, grants_only: bool, **options):
        roles = dbroles.Roles(owner=owner, app=app)
        done: list[str] = []
        with transaction.atomic():
            if not grants_only:
                passwords = {owner: os.environ.get("DB_OWNER_PASSWORD", ""), app: os.environ.get("DB_APP_PASSWORD", "")}
                done += dbroles.ensure_roles(connection, roles, passwords)
            done += dbroles.grant(connection, roles)
        for line in done:
            self.stdout.write(line)

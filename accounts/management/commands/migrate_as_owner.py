"""manage.py migrate_as_owner — run the migrations connected as the owning role, then refresh the
application role's privileges on whatever the migrations created.

The web server, the Celery worker and beat connect with DATABASE_URL (the application role, which
owns nothing); this command connects with MIGRATION_DATABASE_URL (the owning role) instead."""

from __future__ import annotations

import environ
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from accounts import dbroles

CONNECTION_KEYS = ("NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS")


class Command(BaseCommand):
    help = "Migrate as the owning role (MIGRATION_DATABASE_URL), then refresh the application role's grants."

    def handle(self, *args, **options):
        url = settings.MIGRATION_DATABASE_URL
        if not url:
            raise CommandError("MIGRATION_DATABASE_URL is not set (the owning role, e.g. postgres://care_owner:…@db/care).")
        connection = connections[DEFAULT_DB_ALIAS]
        connection.close()
        owner_settings = environ.Env.db_url_config(url)
        for key in CONNECTION_KEYS:
            if key in owner_settings:
                connection.settings_dict[key] = owner_settings[key]
        call_command("migrate", interactive=False, verbosity=options["verbosity"], stdout=self.stdout)
        roles = dbroles.Roles(owner=settings.DB_OWNER_ROLE, app=settings.DB_APP_ROLE)
        with transaction.atomic():
            for line in dbroles.grant(connection, roles):
                self.stdout.write(line)
        connection.close()

"""The functions the row-level-security policies read the session's scope through (accounts/rls.py)."""

from django.db import migrations

from accounts.rls import FUNCTIONS_DROP_SQL, FUNCTIONS_SQL


class Migration(migrations.Migration):
    dependencies = [("accounts", "0008_audit_action_denied")]

    operations = [migrations.RunSQL(FUNCTIONS_SQL, FUNCTIONS_DROP_SQL)]

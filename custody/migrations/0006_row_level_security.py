"""Row-level security on custody accounts and their ledger (accounts/rls.py, docs/security.md)."""

from django.db import migrations

from accounts.rls import disable_sql, enable_sql


class Migration(migrations.Migration):
    dependencies = [("custody", "0005_merge_balance_guard_id_encryption"),
                    ("beneficiaries", "0007_row_level_security")]

    operations = [
        migrations.RunSQL(enable_sql("custody_custodyaccount", "person_id IN (SELECT id FROM beneficiaries_person)")
                          + enable_sql("custody_ledgerentry", "account_id IN (SELECT id FROM custody_custodyaccount)"),
                          disable_sql("custody_ledgerentry") + disable_sql("custody_custodyaccount")),
    ]

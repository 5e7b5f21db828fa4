"""A waiting entry's ID number at rest: encrypted in place (AES-GCM, accounts/crypto.py) like a
person's, with a keyed HMAC blind index that now holds "one waiting entry per person". Decided
proposals hold no number (it was cleared at the decision) and are left as they are. Reversible:
backwards decrypts to plain text."""

import accounts.crypto
import beneficiaries.idnumber
from django.db import migrations, models

AAD = "exchange.proposal.id_number"


def _step(forwards):
    def run(apps, schema_editor):
        from accounts.crypto import migrate_column

        migrate_column(schema_editor, table="exchange_proposal", column="id_number_encrypted",
                       index_column="id_number_index", aad=AAD, forwards=forwards)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("exchange", "0002_department_moved_to_accounts"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="proposal",
            name="proposal_one_pending_entry_per_person",
        ),
        migrations.AddField(
            model_name="proposal",
            name="id_number_index",
            field=accounts.crypto.BlindIndexField(blank=True, null=True, source="id_number", verbose_name="身份证号索引"),
        ),
        migrations.AlterField(
            model_name="proposal",
            name="id_number",
            field=accounts.crypto.EncryptedCharField(
                blank=True, db_column="id_number_encrypted", index_field="id_number_index", max_length=18,
                normalize="beneficiaries.idnumber.normalize", validators=[beneficiaries.idnumber.validate_id_number],
                verbose_name="身份证号"),
        ),
        migrations.RunPython(_step(True), _step(False)),
        migrations.AddConstraint(
            model_name="proposal",
            constraint=models.UniqueConstraint(
                condition=models.Q(("id_number_index__isnull", False), ("kind", "entry"), ("status", "pending")),
                fields=("id_number_index",), name="proposal_one_pending_entry_per_person"),
        ),
    ]

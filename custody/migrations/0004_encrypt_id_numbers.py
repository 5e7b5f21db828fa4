"""ID numbers of custodians and caregivers at rest: encrypted in place (AES-GCM,
accounts/crypto.py) with a keyed HMAC blind index for exact search. Reversible."""

import accounts.crypto
import beneficiaries.idnumber
from django.db import migrations


def _step(table, aad, forwards):
    def run(apps, schema_editor):
        from accounts.crypto import migrate_column

        migrate_column(schema_editor, table=table, column="id_number_encrypted", index_column="id_number_index",
                       aad=aad, forwards=forwards)
    return run


def _field():
    return accounts.crypto.EncryptedCharField(
        db_column='id_number_encrypted', index_field='id_number_index', max_length=18,
        normalize='beneficiaries.idnumber.normalize', validators=[beneficiaries.idnumber.validate_id_number],
        verbose_name='身份证号')


class Migration(migrations.Migration):

    dependencies = [
        ('custody', '0003_actor_optional_for_system_writes'),
    ]

    operations = []
    for model in ("custodian", "caregiver"):
        table, aad = f"custody_{model}", f"custody.{model}.id_number"
        operations += [
            migrations.AddField(model_name=model, name='id_number_index',
                                field=accounts.crypto.BlindIndexField(null=True, db_index=True, source='id_number',
                                                                      verbose_name='身份证号索引')),
            migrations.AlterField(model_name=model, name='id_number', field=_field()),
            migrations.RunPython(_step(table, aad, True), _step(table, aad, False)),
            migrations.AlterField(model_name=model, name='id_number_index',
                                  field=accounts.crypto.BlindIndexField(db_index=True, source='id_number',
                                                                        verbose_name='身份证号索引')),
        ]

"""ID numbers at rest: encrypt every person's number (AES-GCM, accounts/crypto.py) in place and
move uniqueness to a keyed HMAC blind index. Reversible: backwards decrypts to plain text."""

import accounts.crypto
import beneficiaries.idnumber
from django.db import migrations

AAD = "beneficiaries.person.id_number"


def _step(forwards):
    def run(apps, schema_editor):
        from accounts.crypto import migrate_column

        migrate_column(schema_editor, table="beneficiaries_person", column="id_number_encrypted",
                       index_column="id_number_index", aad=AAD, forwards=forwards)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ('beneficiaries', '0003_quarterly_review'),
    ]

    operations = [
        migrations.AddField(
            model_name='person',
            name='id_number_index',
            field=accounts.crypto.BlindIndexField(null=True, source='id_number', unique=True, verbose_name='身份证号索引'),
        ),
        migrations.AlterField(
            model_name='person',
            name='id_number',
            field=accounts.crypto.EncryptedCharField(db_column='id_number_encrypted', index_field='id_number_index', max_length=18, normalize='beneficiaries.idnumber.normalize', validators=[beneficiaries.idnumber.validate_id_number], verbose_name='身份证号'),
        ),
        migrations.RunPython(_step(True), _step(False)),
        migrations.AlterField(
            model_name='person',
            name='id_number_index',
            field=accounts.crypto.BlindIndexField(source='id_number', unique=True, verbose_name='身份证号索引'),
        ),
    ]

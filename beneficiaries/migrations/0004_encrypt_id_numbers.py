"""ID numbers at rest: encrypt every person's number (AES-GCM, accounts/crypto.py) in place and
move uniqueness to a keyed HMAC blind index. Reversible: backwards decrypts to plain text."""

import accounts.crypto
import beneficiaries.idnumber
from django.db import migrations

AAD = "beneficiaries.person.id_number"
BATCH = 2000


def _rows(cursor):
    cursor.execute("SELECT id, id_number_encrypted FROM beneficiaries_person ORDER BY id")
    return cursor.fetchall()


def _write(cursor, rows):
    for start in range(0, len(rows), BATCH):
        chunk = rows[start:start + BATCH]
        values = ", ".join(["(%s, %s, %s)"] * len(chunk))
        params = [v for row in chunk for v in row]
        cursor.execute(
            f"UPDATE beneficiaries_person p SET id_number_encrypted = v.enc, id_number_index = v.idx "
            f"FROM (VALUES {values}) AS v(id, enc, idx) WHERE p.id = v.id::bigint",
            params,
        )


def encrypt_existing(apps, schema_editor):
    from accounts import crypto
    from beneficiaries.idnumber import normalize

    with schema_editor.connection.cursor() as cursor:
        rows = []
        for pk, plain in _rows(cursor):
            if plain.startswith(crypto.VERSION + ":"):
                continue  # already encrypted (a re-run)
            number = normalize(plain)
            rows.append((pk, crypto.encrypt(number, aad=AAD), crypto.blind_index(number)))
        _write(cursor, rows)


def decrypt_existing(apps, schema_editor):
    from accounts import crypto

    with schema_editor.connection.cursor() as cursor:
        rows = [(pk, crypto.decrypt(token, aad=AAD), None) for pk, token in _rows(cursor)
                if token.startswith(crypto.VERSION + ":")]
        _write(cursor, rows)


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
        migrations.RunPython(encrypt_existing, decrypt_existing),
        migrations.AlterField(
            model_name='person',
            name='id_number_index',
            field=accounts.crypto.BlindIndexField(source='id_number', unique=True, verbose_name='身份证号索引'),
        ),
    ]

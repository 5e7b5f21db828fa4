"""Personal data at rest: AES-GCM encryption of ID numbers and a keyed HMAC blind index.

Keys come from the environment (django-environ, read in config/settings):

- ``FIELD_KEYS``       ``kid1:<base64 32 bytes>,kid2:<base64 32 bytes>`` — every key that may
                       still decrypt stored rows (old keys stay listed until rotation is done);
- ``FIELD_KEY_ID``     the id of the key new ciphertexts are written with;
- ``BLIND_INDEX_KEY``  ``<base64 32 bytes>``, a separate HMAC-SHA256 key for the blind index.

A ciphertext is the text ``v1:<kid>:<base64url(nonce ‖ ciphertext+tag)>``; the key id travels
with it, so ``manage.py rotate_field_keys`` can find and re-encrypt rows under an old key.
The associated data is the column's name (``app.model.field``), so a ciphertext copied into
another column does not decrypt.

The blind index is HMAC-SHA256 of the normalised number: equal numbers have equal indexes, so
the database holds uniqueness and exact search without ever seeing the number.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models

VERSION = "v1"


class DecryptionError(Exception):
    """A stored ciphertext that no configured key opens (wrong key, tampered, or not ours)."""


@dataclass(frozen=True)
class KeyRing:
    keys: dict[str, bytes]
    current: str
    index_key: bytes


def _b64key(text: str, what: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{what} is not valid base64.") from exc
    if len(key) != 32:
        raise ImproperlyConfigured(f"{what} must be 32 bytes (base64 of 32 random bytes), got {len(key)}.")
    return key


def parse_keys(spec: str) -> dict[str, bytes]:
    """``kid1:base64,kid2:base64`` → {kid: key}."""
    keys: dict[str, bytes] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        kid, sep, b64 = part.strip().partition(":")
        if not sep or not kid or ":" in kid:
            raise ImproperlyConfigured("FIELD_KEYS entries are written kid:base64key, separated by commas.")
        keys[kid] = _b64key(b64, f"FIELD_KEYS[{kid}]")
    return keys


@lru_cache(maxsize=1)
def keyring() -> KeyRing:
    keys = parse_keys(getattr(settings, "FIELD_KEYS", ""))
    current = getattr(settings, "FIELD_KEY_ID", "")
    if not keys:
        raise ImproperlyConfigured("FIELD_KEYS is not set: ID numbers cannot be encrypted.")
    if current not in keys:
        raise ImproperlyConfigured(f"FIELD_KEY_ID {current!r} is not one of FIELD_KEYS ({', '.join(keys)}).")
    index_key = _b64key(getattr(settings, "BLIND_INDEX_KEY", ""), "BLIND_INDEX_KEY")
    if any(hmac.compare_digest(index_key, k) for k in keys.values()):
        raise ImproperlyConfigured("BLIND_INDEX_KEY must differ from every FIELD_KEYS key.")
    return KeyRing(keys=keys, current=current, index_key=index_key)


def _reset(**kwargs) -> None:
    if kwargs.get("setting") in ("FIELD_KEYS", "FIELD_KEY_ID", "BLIND_INDEX_KEY"):
        keyring.cache_clear()


setting_changed.connect(_reset)


def encrypt(plaintext: str, *, aad: str) -> str:
    ring = keyring()
    nonce = os.urandom(12)
    sealed = AESGCM(ring.keys[ring.current]).encrypt(nonce, plaintext.encode(), aad.encode())
    return f"{VERSION}:{ring.current}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def key_id(token: str) -> str:
    version, _sep, rest = token.partition(":")
    if version != VERSION:
        raise DecryptionError("not a v1 ciphertext")
    return rest.partition(":")[0]


def decrypt(token: str, *, aad: str) -> str:
    kid = key_id(token)
    key = keyring().keys.get(kid)
    if key is None:
        raise DecryptionError(f"key {kid!r} is not configured in FIELD_KEYS")
    raw = base64.urlsafe_b64decode(token.split(":", 2)[2])
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], aad.encode()).decode()
    except InvalidTag as exc:
        raise DecryptionError("ciphertext does not open with its key (tampered or wrong column)") from exc


def blind_index(value: str) -> str:
    """HMAC-SHA256 (hex) of the value with the blind-index key; callers pass normalised values."""
    return hmac.new(keyring().index_key, value.encode(), hashlib.sha256).hexdigest()


# --- model fields -------------------------------------------------------------------------------


class EncryptedCharField(models.CharField):
    """A short text stored AES-GCM encrypted (column type text). In Python it is the plaintext.

    Lookups: only ``exact``, ``in`` and ``isnull``. ``exact``/``in`` are answered by the blind
    index column named in ``index_field`` (a ``BlindIndexField`` on the same model), so
    ``Person.objects.filter(id_number=number)`` keeps working and never compares ciphertexts.
    Values are normalised with ``normalize`` (a dotted path) before encryption and indexing.
    Writes through ``QuerySet.update``/``bulk_update`` must also set the index field; ``save``
    keeps it in step by itself.
    """

    def __init__(self, *args, index_field: str = "", normalize: str = "", **kwargs):
        self.index_field = index_field
        self.normalize_path = normalize
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["index_field"] = self.index_field
        if self.normalize_path:
            kwargs["normalize"] = self.normalize_path
        return name, path, args, kwargs

    def db_type(self, connection) -> str:
        return "text"

    def cast_db_type(self, connection) -> str:
        return "text"

    @property
    def aad(self) -> str:
        return f"{self.model._meta.app_label}.{self.model._meta.model_name}.{self.name}"

    def normalize(self, value: str) -> str:
        if not self.normalize_path or value in (None, ""):
            return value
        from django.utils.module_loading import import_string

        return import_string(self.normalize_path)(value)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value, aad=self.aad)

    def get_db_prep_save(self, value, connection):
        if value is None or value == "":
            return value
        return encrypt(self.normalize(str(value)), aad=self.aad)

    def get_lookup(self, lookup_name):
        if lookup_name not in ("exact", "in", "isnull"):
            return None
        return super().get_lookup(lookup_name)


class BlindIndexField(models.CharField):
    """HMAC of another field's plaintext, computed on save. Holds uniqueness and exact search."""

    def __init__(self, *args, source: str = "", **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs.pop("editable", None)
        if kwargs.get("max_length") == 64:
            kwargs.pop("max_length")
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        source = model_instance._meta.get_field(self.source)
        plain = getattr(model_instance, self.source)
        value = blind_index(source.normalize(plain)) if plain else None
        setattr(model_instance, self.attname, value)
        return value


class _BlindLookupMixin:
    """Rewrite ``encrypted = x`` to ``index = hmac(x)`` on the same table alias."""

    def _index_col(self):
        from django.db.models.expressions import Col

        field = self.lhs.output_field
        index = field.model._meta.get_field(field.index_field)
        return Col(self.lhs.alias, index, index)

    def _hash(self, value):
        field = self.lhs.output_field
        return blind_index(field.normalize(str(value)))


@EncryptedCharField.register_lookup
class BlindExact(_BlindLookupMixin, models.lookups.Exact):
    def process_rhs(self, compiler, connection):
        if hasattr(self.rhs, "resolve_expression"):
            raise ValueError("An encrypted field can only be compared with a literal value.")
        return "%s", [self._hash(self.rhs)]

    def process_lhs(self, compiler, connection, lhs=None):
        return compiler.compile(self._index_col())

    def get_db_prep_lookup(self, value, connection):
        return "%s", [value]


@EncryptedCharField.register_lookup
class BlindIn(_BlindLookupMixin, models.lookups.In):
    def process_rhs(self, compiler, connection):
        if hasattr(self.rhs, "resolve_expression"):
            raise ValueError("An encrypted field can only be compared with literal values.")
        values = [self._hash(v) for v in self.rhs if v not in (None, "")]
        if not values:
            from django.core.exceptions import EmptyResultSet

            raise EmptyResultSet
        return "(" + ", ".join(["%s"] * len(values)) + ")", values

    def process_lhs(self, compiler, connection, lhs=None):
        return compiler.compile(self._index_col())


# --- data migrations ---------------------------------------------------------------------------


def migrate_column(schema_editor, *, table: str, column: str, index_column: str | None, aad: str,
                   forwards: bool = True, batch: int = 2000) -> None:
    """Encrypt (forwards) or decrypt (backwards) a text column in place, filling or clearing its
    blind index: for data migrations that move an existing plain column to EncryptedCharField."""
    from beneficiaries.idnumber import normalize

    q = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {q(column)} FROM {q(table)} WHERE {q(column)} <> '' ORDER BY id")
        rows = []
        for pk, value in cursor.fetchall():
            encrypted = value.startswith(VERSION + ":")
            if forwards and not encrypted:
                number = normalize(value)
                rows.append((pk, encrypt(number, aad=aad), blind_index(number)))
            elif not forwards and encrypted:
                rows.append((pk, decrypt(value, aad=aad), None))
        for start in range(0, len(rows), batch):
            chunk = rows[start:start + batch]
            sets = f"{q(column)} = v.enc" + (f", {q(index_column)} = v.idx" if index_column else "")
            cursor.execute(
                f"UPDATE {q(table)} t SET {sets} FROM (VALUES {', '.join(['(%s, %s, %s)'] * len(chunk))}) "
                f"AS v(id, enc, idx) WHERE t.id = v.id::bigint",
                [v for row in chunk for v in row],
            )

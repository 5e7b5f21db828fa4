"""System checks of the accounts app."""

from __future__ import annotations

from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register()
def field_keys_configured(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """The ID-number keys must be set and valid (accounts/crypto.py). Untagged, so it runs for
    migrate, runserver and check --deploy, but not for collectstatic (staticfiles checks only)."""
    from .crypto import keyring

    try:
        keyring()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), hint="Set FIELD_KEYS, FIELD_KEY_ID and BLIND_INDEX_KEY (docs/deployment.md).",
                             id="accounts.E001")]
    return []

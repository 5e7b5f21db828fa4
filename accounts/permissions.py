"""The one permission helper of the actions (and the views' form-error helper): every app's
actions check their actor with `require`, so imports, API calls and admin actions cannot skip
a check that only a view made."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from .scoping import has_role


def require(condition: bool, message: str = "", *, error: type[Exception] = PermissionDenied) -> None:
    """Raise `error` (PermissionDenied unless told) with a Chinese message when the condition fails."""
    if not condition:
        raise error(message or _("您没有办理此项业务的权限。"))


def require_role(actor, *roles: str, message: str = "") -> None:
    """The actor holds one of the roles (superusers pass)."""
    require(bool(actor is not None and (actor.is_superuser or has_role(actor, *roles))),
            message or _("您的角色不能办理此项业务。"))


def apply_form_errors(form, exc: ValidationError) -> None:
    """Put an action's ValidationError on the form: field errors on their fields when the form has
    them, everything else on top. What was typed stays in the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)

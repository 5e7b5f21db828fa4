"""One policy for every personal phone number (beneficiaries, cadres, caregivers, custodians).

Shown in full only to the roles that must call: the paired cadre, the village committee and the
township. Everyone else (county, prefecture, department liaisons, financial supervisors) sees
138****1111; county, prefecture and financial supervisors may reveal one number, audited like an
ID number. Every export writes numbers masked. `phone_for` is the one function that applies this
policy: every page and every export shows a number through it (a page passes the viewer; an export
passes `export=True`). Templates use {% phone obj %} (an object with a `phone`, with the reveal
button), {{ value|phone_for:user }} (an annotated string) or {{ value|phone_in_file }} (a printed
or exported document), all from accounts/templatetags/privacy.py. Only the audited reveals (the
reveal button, the full-ID export after the second factor) read a number past it."""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from .models import AuditAction, Role, User
from .scoping import has_role

CALLER_ROLES = (Role.CADRE, Role.VILLAGE_COMMITTEE, Role.TOWNSHIP)
REVEAL_ROLES = (Role.COUNTY, Role.PREFECTURE, Role.FINANCIAL_SUPERVISOR)
# The models whose `phone` is a person's number, by the name used in reveal URLs.
PHONE_MODELS = {
    "person": "beneficiaries.Person",
    "cadre": "beneficiaries.Cadre",
    "caregiver": "custody.Caregiver",
    "custodian": "custody.Custodian",
}


def mask_phone(phone: str | None) -> str:
    """13812341111 → 138****1111; other lengths keep only the last four digits."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    if len(phone) == 11 and phone.isdigit():
        return f"{phone[:3]}****{phone[-4:]}"
    return "*" * max(len(phone) - 4, 0) + phone[-4:]


def sees_full_phones(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and has_role(user, *CALLER_ROLES)


def can_reveal_phone(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (user.is_superuser or has_role(user, *REVEAL_ROLES))


def phone_for(user: User | None, phone: str | None, *, export: bool = False, must_call: bool = False) -> str:
    """The number as `user` may read it: in full for the roles that must call, 139****5678 for
    everyone else; in an export (a file leaves the system) always masked, whoever asks.
    `must_call`: the caller established that this user is the one meant to call this number (the
    liaison of the department a referral was sent to, calling the contact the referral gives)."""
    if export or user is None or not (must_call or sees_full_phones(user)):
        return mask_phone(phone)
    return phone or ""


def phone_model(kind: str):
    label = PHONE_MODELS.get(kind)
    return apps.get_model(label) if label else None


def phone_reveal(*, actor: User, obj, request: HttpRequest | None = None) -> str:
    """The full number of a row the actor already sees (scope checked by the caller); audited."""
    from .actions import audit_record

    if not (sees_full_phones(actor) or can_reveal_phone(actor)):
        raise ValidationError(_("您没有查看完整电话号码的权限。"))
    audit_record(actor=actor, action=AuditAction.REVEAL, obj=obj, request=request, details={"field": "phone"})
    return obj.phone

"""Writes of the accounts app: the audit log, roles, the area table."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from .models import ROLE_AREA_LEVEL, Area, AuditAction, AuditEvent, Department, Role, RoleAssignment, User

AREAS_CSV = Path(__file__).resolve().parent / "data" / "qiandongnan_divisions.csv"


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # Behind the production proxy the client address arrives in X-Forwarded-For (first hop).
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return (forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR")) or None


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit row. `obj` fills type, id and repr; they may also be given directly
    (an export of many rows names the report, not a row)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        ip=client_ip(request),
        details=details or {},
    )


def changed_fields(instance: models.Model, new_values: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the values that differ, in a JSON-friendly form for the audit log."""
    diff = {}
    for name, new in new_values.items():
        old = getattr(instance, name)
        if old != new:
            diff[name] = [_jsonable(old), _jsonable(new)]
    return diff


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def can_keep_departments(user: User) -> bool:
    return user.is_superuser or user.roles.filter(role=Role.PREFECTURE).exists()


@transaction.atomic
def department_save(*, actor: User, code: str, name: str, department: Department | None = None,
                    request: HttpRequest | None = None) -> Department:
    """Add a department or rename one (the prefecture bureau keeps the list); its code is its key."""
    if not can_keep_departments(actor):
        raise ValidationError(_("只有州民政局可以维护部门名录。"))
    values = {"code": code.strip(), "name": name.strip()}
    creating = department is None
    department = department or Department()
    diff = {k: [None, v] for k, v in values.items()} if creating else changed_fields(department, values)
    for key, value in values.items():
        setattr(department, key, value)
    department.full_clean()
    department.save()
    audit_record(actor=actor, action=AuditAction.CREATE if creating else AuditAction.CHANGE, obj=department,
                 request=request, details={"changes": diff})
    return department


@transaction.atomic
def role_grant(*, user: User, role: str, area: Area | None = None, department=None, granted_by: User | None = None,
               request: HttpRequest | None = None) -> RoleAssignment:
    """Give `user` a role bound to an area (or a department, for a liaison)."""
    if role == Role.DEPARTMENT:
        if department is None:
            raise ValidationError(_("部门联络员必须指定所属部门。"))
    else:
        if area is None:
            raise ValidationError(_("该角色必须指定所属区划。"))
        expected = ROLE_AREA_LEVEL.get(role)
        if expected and area.level != expected:
            raise ValidationError(
                _("角色“%(role)s”必须绑定到%(level)s级区划。")
                % {"role": Role(role).label, "level": dict(Area._meta.get_field("level").choices)[expected]}
            )
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user, role=role, area=area if role != Role.DEPARTMENT else None,
        department=department if role == Role.DEPARTMENT else None,
    )
    if created:
        audit_record(actor=granted_by, action=AuditAction.CREATE, obj=assignment, request=request,
                     details={"user": user.username, "role": role})
    return assignment


def areas_load(area_model: type[Area] = Area, csv_path: Path = AREAS_CSV) -> int:
    """Load the prefecture's divisions idempotently; returns the number of rows now present.

    Used by the data migration (with the historical model) and by `manage.py load_areas`.
    Rows are sorted by code in the file, so parents are inserted before their children.
    """
    with open(csv_path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    known = {r["code"] for r in rows}
    objs = [
        area_model(
            code=r["code"],
            name=r["name"],
            level=r["level"],
            parent_id=r["parent_code"] if r["parent_code"] in known else None,
        )
        for r in rows
    ]
    with transaction.atomic():
        area_model.objects.bulk_create(
            objs, batch_size=1000, update_conflicts=True, unique_fields=["code"], update_fields=["name", "level", "parent"]
        )
    return area_model.objects.count()

"""Import of past visits from paper ledgers (xlsx/csv). Same rules as the roster import: a dry
run first, all-or-nothing per file, every bad row reported with its row number, column and a
Chinese reason. Each row goes through visits.actions.visit_record — the one way to record a visit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.actions import audit_record
from accounts.models import AuditAction, User
from accounts.scoping import scope_queryset
from beneficiaries.models import Household
from beneficiaries.roster_io import RowError
from beneficiaries.roster_io import read_table as roster_read_table

from .actions import VisitInput, visit_record
from .models import VisitMode, VisitSource

HEADERS = ["户编号", "走访日期", "走访方式", "走访人", "备注"]
MODES = {"入户": VisitMode.IN_PERSON, "电话": VisitMode.PHONE, "视频": VisitMode.VIDEO}


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    errors: list[RowError] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class _Rollback(Exception):
    pass


def read_table(name: str, content: bytes) -> list[dict[str, str]]:
    """Rows as {header: value}; the first row holds the headers. Reading the file (xlsx, or csv
    in UTF-8 or GB18030 as Excel saves it here) is the roster import's own reader."""
    values = roster_read_table(content, name)
    if not values:
        return []
    headers = [h.strip() for h in values[0]]
    return [dict(zip(headers, row, strict=False)) for row in values[1:] if any(v for v in row)]


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip().replace("/", "-").replace(".", "-")
    return dt.date.fromisoformat("-".join(p.zfill(2) for p in text.split("-")))


def visits_import(*, actor: User, name: str, content: bytes, dry_run: bool, today: dt.date) -> ImportResult:
    result = ImportResult()
    try:
        rows = read_table(name, content)
    except ValidationError as exc:
        result.errors.append(RowError(1, "", exc.messages[0]))
        return result
    if not rows:
        result.errors.append(RowError(1, "", _("文件没有数据行。")))
        return result
    missing = [h for h in HEADERS if h not in rows[0]]
    if missing:
        result.errors.append(RowError(1, "、".join(missing), _("缺少表头：%s") % "、".join(missing)))
        return result
    codes = {str(r.get("户编号") or "").strip() for r in rows}
    households = {h.code: h for h in scope_queryset(actor, Household.objects.filter(code__in=codes))}
    result.rows = len(rows)
    try:
        with transaction.atomic():
            for number, row in enumerate(rows, start=2):
                _import_row(actor, number, row, households, result, today)
            if dry_run or result.errors:
                raise _Rollback
    except _Rollback:
        pass
    if result.errors:
        result.created = 0
    elif not dry_run:
        audit_record(actor=actor, action=AuditAction.IMPORT, object_type="visits.visit", object_repr=name,
                     details={"rows": result.rows, "created": result.created})
    return result


def _import_row(actor, number, row, households, result: ImportResult, today) -> None:
    code = str(row.get("户编号") or "").strip()
    household = households.get(code)
    if household is None:
        result.errors.append(RowError(number, "户编号", _("户编号“%s”不存在或不在您的辖区。") % code))
        return
    try:
        visited_on = _date(row.get("走访日期"))
    except (ValueError, TypeError):
        result.errors.append(RowError(number, "走访日期", _("日期格式应为 2026-06-01。")))
        return
    mode = MODES.get(str(row.get("走访方式") or "").strip())
    if mode is None:
        result.errors.append(RowError(number, "走访方式", _("走访方式只能是：入户、电话、视频。")))
        return
    visitor = str(row.get("走访人") or "").strip()
    if not visitor:
        result.errors.append(RowError(number, "走访人", _("请填写走访人。")))
        return
    data = VisitInput(visited_on=visited_on, mode=mode, notes=str(row.get("备注") or "").strip(),
                      visitor_name=visitor, late_reason=_("纸质台账补录"))
    try:
        with transaction.atomic():
            visit_record(actor=actor, household=household, data=data, source=VisitSource.IMPORT, today=today)
    except ValidationError as exc:
        for fld, messages in exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]:
            column = {"visited_on": "走访日期", "mode": "走访方式", "visitor_name": "走访人"}.get(fld, "")
            result.errors.append(RowError(number, column, "；".join(messages)))
        return
    except PermissionDenied:
        result.errors.append(RowError(number, "户编号", _("户编号“%s”不存在或不在您的辖区。") % code))
        return
    result.created += 1
    result.preview.append({"row": number, "code": code, "visited_on": visited_on, "mode": mode, "visitor": visitor})

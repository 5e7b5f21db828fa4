"""Import of past visits from paper ledgers (xlsx/csv). Same rules as the roster import: a dry
run first, all-or-nothing per file, every error of every row reported with its row number,
column and a Chinese reason.

Idempotent: a row whose visit is already stored (same household, date, mode and visitor) — or
that repeats an earlier row of the same file — is skipped and counted ("已存在，跳过 N 条"), so
importing the same ledger twice stores each visit once.

Set-based: the rows are checked in memory against a fixed number of queries (households in
scope, visits already stored, special periods), and the commit writes every new visit and its
audit row by COPY, refreshes the schedule of the households whose last counted visit the file
moves later (a backfill of old visits moves no due date), and closes the overdue alerts those
visits answer — whatever the number of rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts import sheets
from accounts.actions import audit_record, client_ip
from accounts.models import AuditAction, AuditEvent, User
from accounts.scoping import scope_queryset
from accounts.sheets import RowError
from beneficiaries.models import Household, HouseholdStatus
from imports.bulk import copy_insert
from imports.registry import Outcome

from . import rules
from .models import REMOTE_MODES, Escalation, OverdueAlert, SpecialPeriod, Visit, VisitMode, VisitSource

HEADERS = ["户编号", "走访日期", "走访方式", "走访人", "备注"]
MODES = {"入户": VisitMode.IN_PERSON, "电话": VisitMode.PHONE, "视频": VisitMode.VIDEO}
MODE_LABELS = {v: k for k, v in MODES.items()}
TEMPLATE_TITLE = "纸质走访台账导入模板"
TEMPLATE_NOTES = [
    ["列名", "是否必填", "说明"],
    ["户编号", "必填", "花名册中的户编号，须在您负责的区域内、且在册。"],
    ["走访日期", "必填", "如 2026-06-01（也可写 2026/6/1、2026年6月1日）；不能晚于今天。"],
    ["走访方式", "必填", "入户、电话 或 视频。电话、视频走访只在特殊时期计入有效走访。"],
    ["走访人", "必填", "走访干部的姓名。同一户、同一天、同一方式、同一走访人的记录已存在时跳过，不会重复导入。"],
    ["备注", "选填", "走访情况。"],
]
PREVIEW_LIMIT = 200

Progress = Callable[[int, int, str], None]


def _no_progress(done: int, total: int, phase: str) -> None:
    pass


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)
    to_create: list[Visit] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_table(name: str, content: bytes) -> list[dict[str, str]]:
    """Rows as {header: value}; the first row holds the headers (read by accounts.sheets)."""
    values = sheets.read_table(content, name)
    if not values:
        return []
    headers = [h.strip() for h in values[0]]
    return [dict(zip(headers, row, strict=False)) for row in values[1:] if any(v for v in row)]


def template_xlsx() -> bytes:
    return sheets.xlsx_bytes([
        sheets.Sheet(title=TEMPLATE_TITLE, headers=HEADERS, rows=[], text_columns=("户编号",),
                     widths={"户编号": 18, "走访日期": 14, "备注": 40}),
        sheets.Sheet(title="填写说明", headers=TEMPLATE_NOTES[0], rows=TEMPLATE_NOTES[1:],
                     widths={"列名": 12, "是否必填": 10, "说明": 80}),
    ])


def visits_import(*, actor: User, name: str, content: bytes, dry_run: bool, today: dt.date, request=None,
                  progress: Progress = _no_progress, table: list[list[str]] | None = None) -> ImportResult:
    """Check every row; unless `dry_run` or any row is bad, write the new visits in bulk.
    `table`: the file as sheets.read_table read it already (the job's check kept it)."""
    result = check(actor=actor, name=name, content=content, today=today, progress=progress, table=table)
    if result.errors:
        result.created = 0
    if result.errors or dry_run:  # a dry run reports what the commit would create
        return result
    with transaction.atomic():
        _write(actor, result, today, request, progress)
        audit_record(actor=actor, action=AuditAction.IMPORT, object_type="visits.visit", object_repr=name[:200],
                     request=request, details={"rows": result.rows, "created": result.created, "skipped": result.skipped})
    return result


def check(*, actor: User, name: str, content: bytes, today: dt.date, progress: Progress = _no_progress,
          table: list[list[str]] | None = None) -> ImportResult:
    result = ImportResult()
    try:
        table = sheets.read_table(content, name) if table is None else table
        if not table:
            raise sheets.SheetError(_("文件没有数据行。"))
        header_at, index = sheets.header_index(table, HEADERS, search_rows=1)
    except sheets.SheetError as exc:
        result.errors.append(RowError(1, "", exc.messages[0]))
        return result
    body = [(number, raw) for number, raw in enumerate(table[header_at + 1:], start=header_at + 2) if any(raw)]
    if not body:
        result.errors.append(RowError(1, "", _("文件没有数据行。")))
        return result
    result.rows = len(body)

    def cell(raw: list[str], header: str) -> str:
        i = index[header]
        return raw[i].strip() if i < len(raw) else ""

    codes = {cell(raw, "户编号") for _n, raw in body}
    households = {h.code: h for h in scope_queryset(actor, Household.objects.filter(code__in=codes))}
    parsed = []
    for count, (number, raw) in enumerate(body, start=1):
        if count % 1000 == 0:
            progress(count, len(body), _("检查数据"))
        errors_before = len(result.errors)

        def err(column: str, message: str, _number=number) -> None:
            result.errors.append(RowError(_number, column, message))

        code = cell(raw, "户编号")
        household = households.get(code)
        if not code:
            err("户编号", _("请填写户编号。"))
        elif household is None:
            err("户编号", _("户编号“%s”不存在或不在您的辖区。") % code)
        elif household.status != HouseholdStatus.ACTIVE:
            err("户编号", _("户编号“%s”的家庭已退出花名册，不能再记录走访。") % code)
        visited_on = None
        try:
            visited_on = sheets.parse_date(cell(raw, "走访日期"))
        except ValueError:
            err("走访日期", _("日期格式应为 2026-06-01。"))
        else:
            if visited_on > today:
                err("走访日期", _("走访日期不能晚于今天。"))
            elif visited_on.year < 2000:
                err("走访日期", _("走访日期有误。"))
        mode = MODES.get(cell(raw, "走访方式"))
        if mode is None:
            err("走访方式", _("走访方式只能是：入户、电话、视频。"))
        visitor = cell(raw, "走访人")
        if not visitor:
            err("走访人", _("请填写走访人。"))
        elif len(visitor) > Visit._meta.get_field("visitor_name").max_length:
            err("走访人", _("走访人不能超过%(n)d个字。") % {"n": Visit._meta.get_field("visitor_name").max_length})
        if len(result.errors) == errors_before:
            parsed.append((number, household, visited_on, mode, visitor, cell(raw, "备注")))
    if result.errors:
        return result

    # Already stored (or earlier in this file): skipped and counted, never stored twice.
    stored = set()
    if parsed:
        dates = [p[2] for p in parsed]
        stored = set(Visit.objects.filter(household_id__in={p[1].pk for p in parsed}, visited_on__gte=min(dates),
                                          visited_on__lte=max(dates))
                     .values_list("household_id", "visited_on", "mode", "visitor_name"))
        covers = _special_period_days([p[1].village_id for p in parsed], min(dates), max(dates))
    for number, household, visited_on, mode, visitor, notes in parsed:
        key = (household.pk, visited_on, mode, visitor)
        if key in stored:
            result.skipped += 1
            continue
        stored.add(key)
        counted = mode == VisitMode.IN_PERSON or (mode in REMOTE_MODES and covers(household.village_id, visited_on))
        visit = Visit(household=household, visited_on=visited_on, mode=mode, counted=counted, visitor=actor,
                      visitor_name=visitor, notes=notes,
                      late_reason=_("纸质台账补录") if rules.is_late_entry(visited_on, today) else "",
                      source=VisitSource.IMPORT, recorded_by=actor)
        result.to_create.append(visit)
        if len(result.preview) < PREVIEW_LIMIT:
            result.preview.append({"row": number, "code": household.code, "visited_on": visited_on,
                                   "mode": MODE_LABELS.get(mode, mode), "visitor": visitor, "counted": counted})
    result.created = len(result.to_create)
    return result


def _special_period_days(village_codes, first: dt.date, last: dt.date):
    """A function (village, day) → covered by a special period, from one query."""
    prefixes = set()
    for code in set(village_codes):
        prefixes.update([code[:n].ljust(12, "0") for n in (4, 6, 9)] + [code])
    periods = list(SpecialPeriod.objects.filter(area_id__in=prefixes, starts_on__lte=last, ends_on__gte=first)
                   .values_list("area_id", "starts_on", "ends_on"))

    if not periods:  # the usual case: no special period in the file's dates
        return lambda village, day: False
    by_village: dict[str, list] = {}

    def covers(village: str, day: dt.date) -> bool:
        if village not in by_village:
            mine = {village[:n].ljust(12, "0") for n in (4, 6, 9)} | {village}
            by_village[village] = [(start, end) for area, start, end in periods if area in mine]
        return any(start <= day <= end for start, end in by_village[village])

    return covers


def _write(actor: User, result: ImportResult, today: dt.date, request, progress: Progress) -> None:
    from django.db.models import Max

    from .actions import schedule_refresh

    # The stored due date counts from the last counted visit: only households for which this file
    # brings a later counted visit than any stored need it recomputed (a backfill of old paper
    # visits moves nothing). Read before the insert.
    latest_new: dict[int, dt.date] = {}
    for v in result.to_create:
        if v.counted and v.visited_on > latest_new.get(v.household_id, dt.date.min):
            latest_new[v.household_id] = v.visited_on
    stored_last = dict(Visit.objects.filter(household_id__in=list(latest_new), counted=True, visited_on__lte=today)
                       .values("household_id").annotate(last=Max("visited_on")).values_list("household_id", "last"))
    moved = [hid for hid, day in latest_new.items() if stored_last.get(hid) is None or day > stored_last[hid]]

    progress(0, 4, _("写入走访记录"))
    visits = result.to_create
    copy_insert(visits)  # one COPY (imports.bulk): tens of thousands of rows per second
    ip = client_ip(request)
    progress(1, 4, _("写入审计记录"))
    copy_insert([
        AuditEvent(actor=actor, action=AuditAction.CREATE, object_type="visits.visit", object_id=str(v.pk),
                   object_repr=str(v)[:200], ip=ip,
                   details={"household": v.household.code, "visited_on": v.visited_on.isoformat(), "mode": v.mode,
                            "counted": v.counted, "findings": [], "source": VisitSource.IMPORT})
        for v in visits
    ])
    counted = {}
    moved_set = set(moved)
    for v in visits:
        if v.counted and v.household_id in moved_set and (
                v.household_id not in counted or counted[v.household_id].visited_on <= v.visited_on):
            counted[v.household_id] = v
    if not counted:
        progress(4, 4, _("完成"))
        return
    progress(2, 4, _("重新计算应访日期"))
    schedule_refresh(households=Household.objects.filter(pk__in=list(counted)), today=today)
    # The overdue alerts these visits answer are closed (and their escalations), as visit_record does.
    progress(3, 4, _("关闭已走访的逾期提醒"))
    due = dict(Household.objects.filter(pk__in=list(counted)).values_list("pk", "next_due_on"))
    stale = [a for a in OverdueAlert.objects.filter(household_id__in=list(counted), closed_on__isnull=True)
             if due.get(a.household_id) is None or a.due_on != due[a.household_id]]
    for alert in stale:
        alert.closed_on, alert.closed_by_visit = today, counted[alert.household_id]
    OverdueAlert.objects.bulk_update(stale, ["closed_on", "closed_by_visit"], batch_size=2000)
    Escalation.objects.filter(Q(alert_id__in=[a.pk for a in stale]), closed_on__isnull=True).update(closed_on=today)
    progress(4, 4, _("完成"))


def visits_job(job, content: bytes, *, commit: bool, progress, table=None) -> Outcome:
    """The paper ledger's importer for the import job runner (registered in VisitsConfig.ready)."""
    from django.utils import timezone

    result = visits_import(actor=job.created_by, name=job.filename, content=content, dry_run=not commit,
                           today=timezone.localdate(), progress=progress, table=table)
    skipped = _("已存在，跳过 %(n)d 条。") % {"n": result.skipped} if result.skipped else ""
    if commit:
        message = _("已导入 %(n)d 条走访记录。") % {"n": result.created} + skipped
    else:
        message = _("预览：将导入 %(n)d 条走访记录。") % {"n": result.created} + skipped
    return Outcome(result.errors, result.rows, {
        "message": message, "counts": {"created": result.created, "skipped": result.skipped},
        "preview_headers": [_("行号"), _("户编号"), _("走访日期"), _("走访方式"), _("走访人"), _("计入有效走访")],
        "preview": [[r["row"], r["code"], r["visited_on"].isoformat(), r["mode"], r["visitor"],
                     _("是") if r["counted"] else _("否")] for r in result.preview],
    })

"""The roster's importer for the import job runner (registered in BeneficiariesConfig.ready)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import sheets
from imports.models import ImportJob
from imports.registry import Outcome

from . import roster_io


def roster_job(job: ImportJob, content: bytes, *, commit: bool, progress, table=None) -> Outcome:
    today = timezone.localdate()
    if commit:
        result = roster_io.roster_import(actor=job.created_by, content=content, filename=job.filename, today=today,
                                         progress=progress, table=table)
    else:
        result = roster_io.roster_parse(actor=job.created_by, content=content, filename=job.filename, today=today,
                                        progress=progress, table=table)
    preview = [[h.first_row, h.code, f"{h.village.code} {h.village.short_name}" if h.village else "", h.head_name,
                len(h.people), f"{h.tier} {'、'.join(h.criteria)}".strip() or "—",
                f"{h.suggestion.tier} {'、'.join(h.suggestion.criteria)}".strip() if h.suggestion and h.suggestion.tier
                else _("无"), h.cadre_name, _("更新") if h.existing else _("新增")]
               for h in result.households[:sheets.MAX_ERRORS_SHOWN]]
    counts = {"households": len(result.households), "people": result.people, "new": result.new_households}
    if commit:
        message = _("导入成功：%(h)d户，%(p)d人。") % {"h": counts["households"], "p": counts["people"]}
    else:
        message = _("预览：共 %(h)d 户 %(p)d 人，其中新增 %(n)d 户。确认无误后点击“确认导入”。") % {
            "h": counts["households"], "p": counts["people"], "n": counts["new"]}
    return Outcome(result.errors, result.total_rows, {
        "message": message, "counts": counts,
        "preview_headers": [_("行号"), _("户编号"), _("村级区划代码"), _("户主"), _("人数"), _("填报类别"), _("系统建议"),
                            _("结对干部"), _("操作")],
        "preview": preview,
        # Unclassified households imported: the roster list opens on them (待认定).
        "next_query": "?tier=none" if any(not h.tier for h in result.households) else "",
    })

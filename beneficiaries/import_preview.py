"""The roster-import preview, summarised: counts first, the errors, a first page of households,
and the full preview as a spreadsheet (re-read from the stored upload, nothing written)."""

from __future__ import annotations

import io
from collections import Counter

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from openpyxl import Workbook

from accounts import xlsx_style

from . import actions, roster_io

PREVIEW_ROWS = 50
ERROR_ROWS = 200
PREVIEW_HEADERS = ["行号", "户编号", "村级区划代码", "村(居)", "户主", "人数", "填报类别", "填报标准", "系统建议类别",
                   "系统建议标准", "与建议一致", "结对干部", "操作"]


def summary(result: roster_io.ImportResult) -> dict:
    households = result.households
    tiers = Counter(h.tier or "—" for h in households)
    mismatched = sum(1 for h in households if h.tier and h.suggestion and h.suggestion.tier
                     and h.suggestion.tier != h.tier)
    return {
        "households": len(households), "people": result.people, "new": result.new_households,
        "updated": len(households) - result.new_households, "tiers": sorted(tiers.items()),
        "unclassified": tiers.get("—", 0), "mismatched": mismatched,
        "unpaired": sum(1 for h in households if not h.cadre_name),
        "shown": min(len(households), PREVIEW_ROWS),
        "errors_shown": min(len(result.errors), ERROR_ROWS),
    }


def preview_xlsx(result: roster_io.ImportResult) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "导入预览"
    ws.append(PREVIEW_HEADERS)
    for h in result.households:
        s = h.suggestion
        ws.append([
            h.first_row, h.code, h.village.code if h.village else "", h.village.short_name if h.village else "",
            h.head_name, len(h.people), h.tier, "、".join(h.criteria), s.tier if s else "",
            "、".join(s.criteria) if s else "", "" if not (h.tier and s and s.tier) else ("是" if s.tier == h.tier else "否"),
            h.cadre_name, "更新" if h.existing else "新增",
        ])
    xlsx_style.header(ws, widths=(6, 16, 16, 12, 10, 6, 8, 12, 10, 12, 8, 12, 6))
    if result.errors:
        es = wb.create_sheet("错误")
        es.append(["行号", "列", "问题"])
        for e in result.errors:
            es.append([e.row or None, e.column, e.message])
        xlsx_style.header(es, widths=(8, 16, 80))
    xlsx_style.add_area_sheet(wb, {h.village.code for h in result.households if h.village})
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@login_required
def preview_download(request: HttpRequest) -> HttpResponse:
    """The whole preview of a stored upload as xlsx (this user's upload only; nothing written)."""
    from .views import _file_response, _require, _stored_upload

    _require(actions.can_edit_roster(request.user))
    path = _stored_upload(request, request.GET.get("token", ""))
    result = roster_io.roster_parse(actor=request.user, content=path.read_bytes(), filename=path.name,
                                    today=timezone.localdate())
    return _file_response(preview_xlsx(result), f"导入预览_{timezone.localdate():%Y%m%d}.xlsx", "xlsx")

"""The quarterly review's lists as one Excel workbook (季度动态调整清单), a sheet per list.
ID numbers are always masked here."""

from __future__ import annotations

from typing import Any

from accounts import sheets

from .queries import ReviewLists

REVIEW_TITLE = "季度动态调整清单"
HOUSEHOLD_HEADERS = ["户编号", "所在乡镇", "所在村(居)", "户主", "身份证号"]
SHEETS = {
    "mismatched": ("与系统建议不一致", [*HOUSEHOLD_HEADERS, "当前类别", "系统建议类别", "系统建议标准"]),
    "entered": ("本季度新进入", [*HOUSEHOLD_HEADERS, "登记日期", "当前类别", "状态"]),
    "exited": ("本季度退出", [*HOUSEHOLD_HEADERS, "退出日期", "退出原因"]),
    "tier_changes": ("本季度类别调整", ["户编号", "所在村(居)", "原类别", "新类别", "认定标准", "认定理由", "认定人", "生效日期", "户主"]),
    "gaps": ("待认定或未结对", [*HOUSEHOLD_HEADERS, "当前类别", "结对干部", "问题"]),
}


def _household(h) -> list[Any]:
    return [h.code, h.village.parent.name if h.village.parent else "", h.village.short_name, h.head_name or "",
            h.head_id_masked]


def _tier(value: str) -> str:
    return value or "待认定"


def review_rows(lists: ReviewLists) -> dict[str, list[list[Any]]]:
    return {
        "mismatched": [[*_household(h), _tier(h.tier),
                        _tier(h.suggestion.tier) if h.suggestion.tier else "不再符合任何标准",
                        "、".join(h.suggestion.criteria)]
                       for h in lists.mismatched],
        "entered": [[*_household(h), f"{h.created_at:%Y-%m-%d}", _tier(h.tier), h.get_status_display()]
                    for h in lists.entered],
        "exited": [[*_household(h), f"{h.exited_on:%Y-%m-%d}", h.exit_reason] for h in lists.exited],
        "tier_changes": [
            [c.household.code, c.household.village.short_name, _tier(c.from_tier), c.tier, "、".join(c.criteria),
             c.reason, (c.decided_by.real_name or c.decided_by.username) if c.decided_by else "",
             f"{c.effective_on:%Y-%m-%d}", getattr(c, "head_name", "") or ""]
            for c in lists.tier_changes
        ],
        "gaps": [[*_household(h), _tier(h.tier), h.cadre_name or "",
                  "、".join(p for p, on in (("待认定", not h.tier), ("未结对", h.unpaired)) if on)]
                 for h in lists.gaps],
    }


def review_workbook(lists: ReviewLists) -> bytes:
    book = []
    for key, rows in review_rows(lists).items():
        title, headers = SHEETS[key]
        widths = {h: 22 for h in ("身份证号", "退出原因", "认定理由")}
        widths.update({h: max(10, len(h) * 2 + 2) for h in headers if h not in widths})
        book.append(sheets.Sheet(title=title, headers=headers, rows=rows, widths=widths,
                                 text_columns=("户编号", "身份证号")))
    return sheets.xlsx_bytes(book)

"""The campaign's spreadsheets in the bureau's shape: needs list (需求清单), delivery ledger with
signatures (发放台账), stock ledger (物资台账). Header rows are contracts (tests/campaigns).
No ID numbers are exported; the caller audits the export."""

from __future__ import annotations

from collections.abc import Sequence

from accounts import sheets, xlsx_style

from .models import UNITS, Campaign, CampaignNeed, Delivery, StockEntry, WaterDelivery

NEEDS_HEADERS = ["序号", "县(市)", "乡镇(街道)", "村(居)", "户编号", "户主", "类别", "物资", "数量", "单位", "来源",
                 "状态", "已发放", "确认人", "确认日期"]
DELIVERY_HEADERS = ["序号", "县(市)", "乡镇(街道)", "村(居)", "户编号", "户主", "物资", "数量", "单位", "来源",
                    "发放日期", "领取人", "领取人签名", "发放照片", "登记人", "冲正", "备注"]
WATER_HEADERS = ["序号", "县(市)", "乡镇(街道)", "村(居)", "户编号", "户主", "送水日期", "水量(升)", "送水人",
                 "接收人", "登记人", "备注"]
STOCK_HEADERS = ["保管区划", "物资", "单位", "序号", "日期", "摘要", "入库", "出库", "结存", "来源", "捐赠方",
                 "专项行动", "登记人"]


def _names(households) -> dict[str, tuple[str, str, str]]:
    return xlsx_style.area_names({h.village_id for h in households})


def needs_xlsx(campaign: Campaign, needs: Sequence[CampaignNeed]) -> bytes:
    names = _names(n.household for n in needs)

    def rows():
        for i, n in enumerate(needs, start=1):
            county, township, village = names.get(n.household.village_id, ("", "", ""))
            yield [i, county, township, village, n.household.code, getattr(n, "head_name", "") or "",
                   n.household.tier, n.get_item_display(), n.quantity, str(UNITS[n.item]),
                   n.get_source_display() if n.source else "", n.get_status_display(), n.delivered,
                   n.confirmed_by.display_name if n.confirmed_by_id else "", n.confirmed_on]

    return sheets.xlsx_bytes([sheets.Sheet("需求清单", NEEDS_HEADERS, rows(), title_row=f"{campaign.name} 需求清单",
                                           text_columns=("户编号",))])


def deliveries_xlsx(campaign: Campaign, deliveries: Sequence[Delivery], water: Sequence[WaterDelivery],
                    *, request=None) -> bytes:
    names = _names([d.household for d in deliveries] + [w.household for w in water])

    def url(f) -> str:
        if not f:
            return ""
        return request.build_absolute_uri(f.url) if request is not None else f.name

    def rows():
        for i, d in enumerate(deliveries, start=1):
            county, township, village = names.get(d.household.village_id, ("", "", ""))
            yield [i, county, township, village, d.household.code, getattr(d, "head_name", "") or "",
                   d.get_item_display(), d.quantity, str(UNITS[d.item]),
                   d.need.get_source_display() if d.need.source else "", d.delivered_on, d.received_by,
                   url(d.signature), url(d.photo), d.recorded_by.display_name,
                   f"冲正第 {d.reverses_id} 条" if d.reverses_id else "", d.note]

    def water_rows():
        for i, w in enumerate(water, start=1):
            county, township, village = names.get(w.household.village_id, ("", "", ""))
            yield [i, county, township, village, w.household.code, getattr(w, "head_name", "") or "", w.delivered_on,
                   w.litres, w.delivered_by, w.received_by, w.recorded_by.display_name, w.note]

    sheet_list = [sheets.Sheet("发放台账", DELIVERY_HEADERS, rows(), title_row=f"{campaign.name} 发放台账",
                               text_columns=("户编号",))]
    if water:
        sheet_list.append(sheets.Sheet("送水台账", WATER_HEADERS, water_rows(), title_row=f"{campaign.name} 送水台账",
                                       text_columns=("户编号",)))
    return sheets.xlsx_bytes(sheet_list)


def stock_xlsx(entries: Sequence[StockEntry]) -> bytes:
    def rows():
        for e in entries:
            yield [e.area.name, e.get_item_display(), str(UNITS[e.item]), e.seq, e.occurred_on,
                   e.note or e.get_kind_display(), e.delta if e.delta > 0 else None, -e.delta if e.delta < 0 else None,
                   e.balance_after, e.get_source_display() if e.source else "",
                   e.donation.donor if e.donation_id else "", str(e.campaign) if e.campaign_id else "",
                   e.recorded_by.display_name]

    return sheets.xlsx_bytes([sheets.Sheet("物资台账", STOCK_HEADERS, rows(), title_row="物资台账（入库、发放、结存）")])

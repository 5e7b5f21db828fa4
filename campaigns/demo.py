"""Demo campaigns for `manage.py seed_demo`: a 冬春救助 campaign running now in 雷山县 (part
assessed, needs confirmed in 西江镇, some delivered from stock and a donation) and a finished
季节性缺水 campaign from last summer (water every 7 days, one missed delivery). Idempotent: does
nothing once a demo campaign exists; with no households yet it does nothing."""

from __future__ import annotations

import datetime as dt
import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Area, Role, RoleAssignment, User
from beneficiaries.models import Household, Pairing

from . import actions
from .actions import AssessmentInput, NeedLine
from .models import Campaign, CampaignKind, CampaignNeed, Item, NeedSource, NeedStatus

COUNTY = "522634000000"  # 雷山县
TOWNSHIP = "522634101000"  # 西江镇
WINTER_NAME = "雷山县{y}—{y1}年冬春救助"
WATER_NAME = "雷山县{y}年夏季季节性缺水送水上门"


def _signature() -> SimpleUploadedFile:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (240, 80), "white")
    ImageDraw.Draw(img).line([(10, 60), (60, 20), (110, 55), (160, 25), (220, 50)], fill="black", width=3)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return SimpleUploadedFile("signature.png", buf.getvalue(), content_type="image/png")


def _user(role: str, code: str) -> User | None:
    ra = RoleAssignment.objects.filter(role=role, area_id=code).select_related("user").order_by("id").first()
    return ra.user if ra else None


@transaction.atomic
def demo_load(households: int = 300, seed: int = 20261128, stdout=None, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    if Campaign.objects.filter(name__startswith="雷山县").exists() or not Household.objects.exists():
        if stdout:
            stdout.write("专项行动演示数据：已存在或尚无家庭，跳过。")
        return 0
    county, township = _user(Role.COUNTY, COUNTY), _user(Role.TOWNSHIP, TOWNSHIP)
    if county is None or township is None:
        return 0
    rng = random.Random(seed)
    area = Area.objects.get(code=COUNTY)

    # 1. Last summer's water campaign, finished.
    summer = today.year if today.month >= 9 else today.year - 1
    w_start, w_end = dt.date(summer, 7, 1), dt.date(summer, 8, 31)
    water = actions.campaign_declare(
        actor=county, kind=CampaignKind.WATER, name=WATER_NAME.format(y=summer), area=area,
        starts_on=w_start, ends_on=w_end, assess_by=dt.date(summer, 7, 10), tiers=[],
        limited_mobility_tiers=["A", "B", "C"], water_every_days=7, note="旱情：西江镇部分村寨水井干涸",
        areas=[Area.objects.get(code=TOWNSHIP)], today=w_start)
    rows = list(water.households.select_related("household", "campaign").order_by("household__code"))
    for row in rows:
        actions.assessment_record(actor=township, row=row, assessed_on=w_start + dt.timedelta(days=2), today=w_end,
                                  data=AssessmentInput(water_source="cellar", water_days_left=rng.randint(0, 3),
                                                       can_fetch_water=False))
    missed_on = dt.date(summer, 8, 5)
    day = w_start
    while day <= w_end:
        for i, row in enumerate(rows):
            if i == 0 and day == missed_on:
                continue  # one missed delivery: the next morning's job raises the alert
            actions.water_delivery_record(actor=township, row=row, delivered_on=day, litres=150,
                                          delivered_by="村委会 杨师傅", received_by="户主本人", today=w_end)
        if day == missed_on and rows:
            actions.campaigns_daily(today=day + dt.timedelta(days=1))
            actions.water_delivery_record(actor=township, row=rows[0], delivered_on=day + dt.timedelta(days=2),
                                          litres=150, delivered_by="村委会 杨师傅", note="补送", today=w_end)
        day += dt.timedelta(days=7)

    # 2. This winter's relief, running now.
    y = today.year if today.month >= 11 else today.year - 1
    starts = dt.date(y, 12, 1) if today >= dt.date(y, 12, 1) else today - dt.timedelta(days=7)
    assess_by = min(max(today, starts) + dt.timedelta(days=13), dt.date(y + 1, 3, 31))
    winter = actions.campaign_declare(
        actor=county, kind=CampaignKind.WINTER, name=WINTER_NAME.format(y=y, y1=y + 1), area=area, starts_on=starts,
        ends_on=dt.date(y + 1, 3, 31), assess_by=assess_by, tiers=["A", "B"], limited_mobility_tiers=["C"],
        note="口粮、衣被、取暖需求摸排与发放", today=starts)
    # The demo cadre keeps some households to assess in the visit form.
    cadre_households = set(Pairing.objects.filter(ended_on__isnull=True, cadre__user__username="ganbu")
                           .values_list("household_id", flat=True))
    rows = list(winter.households.filter(household__village__code__startswith=TOWNSHIP[:9])
                .select_related("household", "campaign").order_by("household__code"))
    assessed_on = min(today, max(starts, today - dt.timedelta(days=2)))
    for row in rows:
        if row.household_id in cadre_households and rng.random() < 0.6 or rng.random() < 0.35:
            continue
        actions.assessment_record(
            actor=township, row=row, assessed_on=assessed_on, today=today, data=AssessmentInput(
                grain_short_days=rng.choice([0, 0, 5, 10, 15]), clothing_sets=rng.choice([0, 1, 1, 2]),
                heating_source=rng.choice(["coal", "wood", "electric"]), heating_enough=rng.random() < 0.6))
    tship = Area.objects.get(code=TOWNSHIP)
    for item, qty in ((Item.GRAIN, 1500), (Item.CLOTHING, 80), (Item.HEATING, 60)):
        actions.stock_receive(actor=township, area=tship, item=item, quantity=qty, occurred_on=starts,
                              source=NeedSource.STOCK, note="县民政局调拨", today=today)
    actions.donation_record(actor=township, area=tship, donor="黔东南州慈善总会", received_on=starts, item=Item.CLOTHING,
                            quantity=40, campaign=winter, note="棉被", today=today)
    actions.donation_record(actor=township, area=tship, donor="雷山县爱心企业", received_on=starts, amount_fen=2_000_000,
                            campaign=winter, today=today)
    needs = list(CampaignNeed.objects.filter(campaign=winter, status=NeedStatus.PROPOSED)
                 .select_related("household", "campaign").order_by("household__code", "item"))
    confirm = needs[: len(needs) * 2 // 3]
    if confirm:
        actions.needs_confirm(actor=township, today=today, lines=[
            NeedLine(n, n.quantity, NeedSource.DONATION if n.item == Item.CLOTHING and i % 2 else NeedSource.STOCK)
            for i, n in enumerate(confirm)])
    for need in confirm[: len(confirm) // 2]:
        need.refresh_from_db()
        actions.delivery_record(actor=township, need=need, quantity=need.quantity, delivered_on=today,
                                received_by="户主本人", signature=_signature(), today=today)
    if stdout:
        stdout.write(f"专项行动演示数据：{winter.name}（{winter.households.count()} 户），{water.name}。")
    return 2

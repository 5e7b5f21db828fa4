"""Campaigns (专项行动): winter–spring relief (冬春救助, §4(6)), seasonal water shortage
(季节性缺水 / 送水上门, §4(5)) and campaigns the bureau defines with its own short checklist.

A campaign has a period, areas, the households in scope (by tier and facts), an assessment the
cadre makes in the visit, needs the township confirms, deliveries with proof, and stock and
donations accounted append-only like money (docs/campaigns.md).

The app sits just above the roster: visits (the assessment in the visit form), services (the §4
lists) and oversight read it; it imports none of them."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.areacodes import ancestor_codes
from accounts.models import Area, User
from accounts.scoping import ScopeRule, user_roles
from beneficiaries.models import Household, Tier, household_child_scope


class CampaignKind(models.TextChoices):
    WINTER = "winter", _("冬春救助")
    WATER = "water", _("季节性缺水")
    OTHER = "other", _("其他专项行动")


class Assessor(models.TextChoices):
    CADRE = "cadre", _("结对帮扶干部（走访时评估）")
    VILLAGE = "village", _("村(居)委会")


def _campaign_assignment(user: User) -> Q | None:
    """A campaign declared above the user's own areas reaches them (a township sees its
    county's campaign); the rows under it are scoped by their own area."""
    codes = {c for r in user_roles(user) if r.area_id for c in ancestor_codes(r.area_id, include_self=False)}
    return Q(area_id__in=sorted(codes)) if codes else None


class Campaign(models.Model):
    kind = models.CharField(_("类型"), max_length=10, choices=CampaignKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    area = models.ForeignKey(Area, verbose_name=_("部署区划"), on_delete=models.PROTECT, related_name="+")
    areas = models.ManyToManyField(Area, verbose_name=_("实施区划"), related_name="+", blank=True,
                                   help_text=_("不选即部署区划全域"))
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    assess_by = models.DateField(_("评估截止日期"))
    tiers = ArrayField(models.CharField(max_length=1, choices=Tier.choices), verbose_name=_("纳入类别（全部）"),
                       default=list, blank=True)
    limited_mobility_tiers = ArrayField(models.CharField(max_length=1, choices=Tier.choices),
                                        verbose_name=_("纳入类别（仅行动不便）"), default=list, blank=True)
    assessor = models.CharField(_("评估人"), max_length=10, choices=Assessor.choices, default=Assessor.CADRE)
    questions = ArrayField(models.CharField(max_length=60), verbose_name=_("评估问题"), default=list, blank=True,
                           help_text=_("其他专项行动的简短问题，每行一条"))
    water_every_days = models.PositiveSmallIntegerField(_("送水间隔(天)"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    declared_by = models.ForeignKey(User, verbose_name=_("部署人"), on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField(_("部署时间"), auto_now_add=True)
    closed_on = models.DateField(_("提前结束日期"), null=True, blank=True)
    closed_by = models.ForeignKey(User, verbose_name=_("提前结束人"), on_delete=models.PROTECT, related_name="+",
                                  null=True, blank=True)
    close_reason = models.CharField(_("提前结束原因"), max_length=200, blank=True)

    scope_rule = ScopeRule(area="area__code", assignment=_campaign_assignment)

    class Meta:
        verbose_name = _("专项行动")
        verbose_name_plural = _("专项行动")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="campaign_ends_after_start"),
            models.CheckConstraint(condition=Q(assess_by__gte=models.F("starts_on"), assess_by__lte=models.F("ends_on")),
                                   name="campaign_assess_by_in_period"),
            models.CheckConstraint(condition=~Q(kind="water") | Q(water_every_days__gte=1),
                                   name="campaign_water_has_interval"),
        ]

    def __str__(self) -> str:
        return self.name


class HeatingSource(models.TextChoices):
    COAL = "coal", _("煤")
    WOOD = "wood", _("柴")
    ELECTRIC = "electric", _("电")
    NONE = "none", _("无")
    OTHER = "other", _("其他")


class WaterSource(models.TextChoices):
    TAP = "tap", _("自来水")
    WELL = "well", _("井水")
    SPRING = "spring", _("山泉/溪水")
    CELLAR = "cellar", _("水窖")
    DELIVERED = "delivered", _("送水")
    NONE = "none", _("无")


class CampaignHousehold(models.Model):
    """A household in a campaign's scope and its assessment (one row per campaign and household).

    The scope is fixed when the campaign is declared and refreshed by the daily job (households
    that enter the roster later are added; none is removed). Winter answers: 口粮 short by how
    many days, 衣被 sets needed, heating source and whether it is enough; water answers: source,
    days of water left, whether the person can fetch water; other campaigns: `answers`."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("专项行动"), on_delete=models.PROTECT, related_name="households")
    household = models.ForeignKey(Household, verbose_name=_("家庭"), on_delete=models.PROTECT,
                                  related_name="campaign_rows")
    added_on = models.DateField(_("纳入日期"))
    assessed_on = models.DateField(_("评估日期"), null=True, blank=True)
    assessed_by = models.ForeignKey(User, verbose_name=_("评估人"), on_delete=models.PROTECT, related_name="+",
                                    null=True, blank=True)
    grain_short_days = models.PositiveSmallIntegerField(_("口粮缺口(天)"), null=True, blank=True)
    clothing_sets = models.PositiveSmallIntegerField(_("需衣被(套)"), null=True, blank=True)
    heating_source = models.CharField(_("取暖方式"), max_length=10, choices=HeatingSource.choices, blank=True)
    heating_enough = models.BooleanField(_("取暖是否足够"), null=True, blank=True)
    water_source = models.CharField(_("水源"), max_length=10, choices=WaterSource.choices, blank=True)
    water_days_left = models.PositiveSmallIntegerField(_("存水可用(天)"), null=True, blank=True)
    can_fetch_water = models.BooleanField(_("能否自行取水"), null=True, blank=True)
    answers = models.JSONField(_("其他问题回答"), default=dict, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    # Water campaigns: the next day water is due at the door (denormalised like next_due_on).
    next_water_due_on = models.DateField(_("下次送水日期"), null=True, blank=True)

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("专项行动对象")
        verbose_name_plural = _("专项行动对象")
        ordering = ["campaign_id", "household_id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "household"], name="campaignhousehold_once"),
            models.CheckConstraint(condition=Q(assessed_on__isnull=True) | Q(assessed_by__isnull=False),
                                   name="campaignhousehold_assessed_by_someone"),
        ]
        indexes = [
            models.Index(fields=["campaign", "next_water_due_on"], name="campaignhh_water_due_idx",
                         condition=Q(next_water_due_on__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} {self.household}"


class Item(models.TextChoices):
    GRAIN = "grain", _("口粮")
    CLOTHING = "clothing", _("衣被")
    HEATING = "heating", _("取暖物资")
    WATER = "water", _("饮用水")
    OTHER = "other", _("其他物资")


UNITS = {Item.GRAIN: _("公斤"), Item.CLOTHING: _("套"), Item.HEATING: _("份"), Item.WATER: _("升"),
         Item.OTHER: _("件")}


class NeedSource(models.TextChoices):
    STOCK = "stock", _("政府储备物资")
    RESERVE_FUND = "reserve_fund", _("救助备用金")
    DONATION = "donation", _("社会捐赠")


class NeedStatus(models.TextChoices):
    PROPOSED = "proposed", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    CANCELLED = "cancelled", _("不予发放")


class CampaignNeed(models.Model):
    """One line of the needs list (需求清单): what a household needs, proposed from the
    assessment, confirmed by the township with an amount and a source."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("专项行动"), on_delete=models.PROTECT, related_name="needs")
    household = models.ForeignKey(Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="+")
    item = models.CharField(_("物资"), max_length=10, choices=Item.choices)
    quantity = models.PositiveIntegerField(_("数量"))
    source = models.CharField(_("来源"), max_length=12, choices=NeedSource.choices, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=NeedStatus.choices, default=NeedStatus.PROPOSED)
    confirmed_by = models.ForeignKey(User, verbose_name=_("确认人"), on_delete=models.PROTECT, related_name="+",
                                     null=True, blank=True)
    confirmed_on = models.DateField(_("确认日期"), null=True, blank=True)
    delivered = models.PositiveIntegerField(_("已发放数量"), default=0)

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("需求清单")
        verbose_name_plural = _("需求清单")
        ordering = ["campaign_id", "household_id", "item"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "household", "item"], name="campaignneed_once_per_item"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="campaignneed_quantity_positive"),
            models.CheckConstraint(condition=~Q(status="confirmed") | (~Q(source="") & Q(confirmed_on__isnull=False)),
                                   name="campaignneed_confirmed_has_source"),
            models.CheckConstraint(condition=Q(delivered__lte=models.F("quantity")), name="campaignneed_not_over_delivered"),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.get_item_display()} {self.quantity}"

    @property
    def unit(self) -> str:
        return str(UNITS[self.item])


class Delivery(models.Model):
    """A delivery against a confirmed need (发放): what, how much, when, received by whom, and
    the proof (a photo or the recipient's signature). Append-only (a trigger refuses UPDATE and
    DELETE); a mistake is corrected by a reversing delivery (negative quantity, same need)."""

    need = models.ForeignKey(CampaignNeed, verbose_name=_("需求"), on_delete=models.PROTECT, related_name="deliveries")
    campaign = models.ForeignKey(Campaign, verbose_name=_("专项行动"), on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="+")
    item = models.CharField(_("物资"), max_length=10, choices=Item.choices)
    quantity = models.IntegerField(_("数量"))
    delivered_on = models.DateField(_("发放日期"))
    received_by = models.CharField(_("领取人"), max_length=50)
    photo = models.ImageField(_("发放照片"), upload_to="campaigns/deliveries/%Y/%m/", blank=True)
    signature = models.ImageField(_("领取人签名"), upload_to="campaigns/signatures/%Y/%m/", blank=True)
    reverses = models.OneToOneField("self", verbose_name=_("冲正"), on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="reversed_by")
    note = models.CharField(_("备注"), max_length=200, blank=True)
    client_token = models.UUIDField(_("提交标识"), null=True, blank=True)
    recorded_by = models.ForeignKey(User, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("发放记录")
        verbose_name_plural = _("发放记录")
        ordering = ["-delivered_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="delivery_quantity_not_zero"),
            models.CheckConstraint(condition=Q(quantity__gt=0) | Q(reverses__isnull=False),
                                   name="delivery_negative_only_reversing"),
            models.CheckConstraint(condition=Q(quantity__lt=0) | ~Q(photo="") | ~Q(signature=""),
                                   name="delivery_has_proof"),
            models.UniqueConstraint(fields=["recorded_by", "client_token"], name="delivery_token_once",
                                    condition=Q(client_token__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.get_item_display()} {self.quantity} {self.delivered_on}"


class StockKind(models.TextChoices):
    RECEIVED = "received", _("入库")
    ISSUED = "issued", _("发放出库")
    REVERSAL = "reversal", _("冲正")


class Donation(models.Model):
    """A donation received (社会捐赠, §4(8)): goods go into stock at once; money is recorded in
    fen. Append-only."""

    area = models.ForeignKey(Area, verbose_name=_("接收区划"), on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey(Campaign, verbose_name=_("专项行动"), on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="donations")
    donor = models.CharField(_("捐赠方"), max_length=100)
    received_on = models.DateField(_("接收日期"))
    item = models.CharField(_("物资"), max_length=10, choices=Item.choices, blank=True)
    quantity = models.PositiveIntegerField(_("数量"), default=0)
    amount_fen = models.BigIntegerField(_("金额(分)"), default=0)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(User, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scope_rule = ScopeRule(area="area__code")

    class Meta:
        verbose_name = _("社会捐赠")
        verbose_name_plural = _("社会捐赠")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(quantity__gt=0) & ~Q(item="") & Q(amount_fen=0)) | (Q(quantity=0) & Q(item="") & Q(amount_fen__gt=0)),
                name="donation_goods_or_money"),
        ]

    def __str__(self) -> str:
        return f"{self.donor} {self.received_on}"


class StockEntry(models.Model):
    """The stock ledger of one item in one area (物资台账): received, issued, on hand.

    Append-only. The database numbers each entry (`seq`) and computes `balance_after` from the
    previous entry of the same area and item (trigger `campaigns_stockentry_balance`), so the
    balance cannot be written by hand, two writers cannot both take the same place, and a
    negative balance is refused by a check. An issue is a delivery (issued = delivered)."""

    area = models.ForeignKey(Area, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+")
    item = models.CharField(_("物资"), max_length=10, choices=Item.choices)
    seq = models.PositiveIntegerField(_("序号"), default=0)
    kind = models.CharField(_("类型"), max_length=10, choices=StockKind.choices)
    delta = models.IntegerField(_("数量变动"))
    balance_after = models.IntegerField(_("结存"), default=0)
    occurred_on = models.DateField(_("日期"))
    source = models.CharField(_("来源"), max_length=12, choices=NeedSource.choices, blank=True)
    donation = models.OneToOneField(Donation, verbose_name=_("捐赠"), on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="stock_entry")
    delivery = models.OneToOneField(Delivery, verbose_name=_("发放"), on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="stock_entry")
    campaign = models.ForeignKey(Campaign, verbose_name=_("专项行动"), on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    note = models.CharField(_("摘要"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(User, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scope_rule = ScopeRule(area="area__code")

    class Meta:
        verbose_name = _("物资台账")
        verbose_name_plural = _("物资台账")
        ordering = ["area_id", "item", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["area", "item", "seq"], name="stockentry_seq_once"),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="stockentry_never_negative"),
            models.CheckConstraint(condition=~Q(delta=0), name="stockentry_delta_not_zero"),
            models.CheckConstraint(
                condition=(Q(kind="received") & Q(delta__gt=0) & Q(delivery__isnull=True))
                | (Q(kind="issued") & Q(delta__lt=0) & Q(delivery__isnull=False))
                | (Q(kind="reversal") & Q(delivery__isnull=False) & Q(delta__gt=0)),
                name="stockentry_kind_matches_delta"),
        ]

    def __str__(self) -> str:
        return f"{self.area_id} {self.get_item_display()} #{self.seq} {self.delta:+d}"  # a label, never the code


class WaterDelivery(models.Model):
    """One delivery of drinking water to a household's door (送水上门), usually on a water
    campaign's schedule (every N days per household until the campaign ends)."""

    household = models.ForeignKey(Household, verbose_name=_("家庭"), on_delete=models.PROTECT,
                                  related_name="water_deliveries")
    campaign = models.ForeignKey(Campaign, verbose_name=_("专项行动"), on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="water_deliveries")
    delivered_on = models.DateField(_("送水日期"))
    litres = models.PositiveIntegerField(_("水量(升)"))
    delivered_by = models.CharField(_("送水人"), max_length=50)
    received_by = models.CharField(_("接收人"), max_length=50, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    client_token = models.UUIDField(_("提交标识"), null=True, blank=True)
    recorded_by = models.ForeignKey(User, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("送水记录")
        verbose_name_plural = _("送水记录")
        ordering = ["-delivered_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(litres__gte=1), name="campaigns_waterdelivery_litres_positive"),
            models.UniqueConstraint(fields=["recorded_by", "client_token"], name="waterdelivery_token_once",
                                    condition=Q(client_token__isnull=False)),
        ]
        indexes = [models.Index(fields=["household", "-delivered_on"], name="campaigns_water_household_idx")]

    def __str__(self) -> str:
        return f"{self.household} {self.delivered_on} {self.litres}L"


class WaterAlert(models.Model):
    """A missed water delivery (逾期未送水), raised by the daily job like an overdue visit and
    closed by the next delivery. One per household, campaign and due date."""

    row = models.ForeignKey(CampaignHousehold, verbose_name=_("专项行动对象"), on_delete=models.PROTECT,
                            related_name="water_alerts")
    household = models.ForeignKey(Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("应送水日期"))
    raised_on = models.DateField(_("预警日期"))
    closed_on = models.DateField(_("关闭日期"), null=True, blank=True)

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("送水逾期预警")
        verbose_name_plural = _("送水逾期预警")
        ordering = ["-raised_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["row", "due_on"], name="wateralert_once_per_due")]

    def __str__(self) -> str:
        return f"{self.household} {self.due_on}"

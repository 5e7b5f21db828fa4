"""Assistance and emergencies (§4(1), §4(6), §5(6)): relief applications with a township → county
approval chain and a fast track (先行救助), the county reserve fund (备用金) as an append-only
ledger that payments draw on, and emergency events with a roll call of the affected households."""

from __future__ import annotations

import uuid

from django.core.validators import FileExtensionValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import AREA_ROLES, PREFIX_LENGTH, Area, User
from accounts.scoping import ScopeRule, prefix_q, user_roles
from beneficiaries.models import Household, _cadre_household_q, household_child_scope

ATTACHMENT_EXTENSIONS = ["pdf", "jpg", "jpeg", "png", "webp", "doc", "docx"]


# --- assistance applications ------------------------------------------------------------------


class AssistanceKind(models.TextChoices):
    TEMPORARY = "temporary", _("临时救助")
    URGENT = "urgent", _("急难型救助")
    MEDICAL = "medical", _("医疗救助(补充)")
    CHARITY = "charity", _("慈善救助")
    OTHER = "other", _("其他")


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待乡镇审核")
    TOWNSHIP_APPROVED = "township_approved", _("待县级审批")
    APPROVED = "approved", _("已批准·待发放")
    PAID = "paid", _("已发放")
    FAST_PAID = "fast_paid", _("先行救助已发放·待县级复核")
    REVIEWED = "reviewed", _("先行救助·县级已复核")
    REJECTED = "rejected", _("不予救助")


class PaymentChannel(models.TextChoices):
    BANK = "bank", _("银行转账")
    CARD = "card", _("社保卡")
    CASH = "cash", _("现金")
    IN_KIND = "in_kind", _("实物")


class AssistancePolicy(models.Model):
    """Per-county limits (因地制宜): what a township may approve on its own, and what it may pay at
    once on the fast track before the county reviews. A county without a row uses rules' defaults."""

    county = models.OneToOneField(Area, verbose_name=_("县(市)"), primary_key=True, on_delete=models.PROTECT,
                                  related_name="+")
    township_limit_fen = models.BigIntegerField(_("乡镇审批限额(分)"), validators=[MinValueValidator(0)])
    fast_track_limit_fen = models.BigIntegerField(_("先行救助限额(分)"), validators=[MinValueValidator(0)])
    changed_by = models.ForeignKey(User, verbose_name=_("修改人"), null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    changed_at = models.DateTimeField(_("修改时间"), auto_now=True)

    scope_rule = ScopeRule(area="county__code")

    class Meta:
        verbose_name = _("救助审批限额")
        verbose_name_plural = _("救助审批限额")
        constraints = [
            models.CheckConstraint(condition=Q(township_limit_fen__gte=0, fast_track_limit_fen__gte=0),
                                   name="assistance_policy_limits_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.county} {self.township_limit_fen}/{self.fast_track_limit_fen}"


class AssistanceApplication(models.Model):
    """One application for help for a household. The status moves only through
    assistance.actions; every move is a row of ApplicationEvent (append-only)."""

    household = models.ForeignKey(Household, verbose_name=_("家庭"), on_delete=models.PROTECT,
                                  related_name="assistance_applications")
    county = models.ForeignKey(Area, verbose_name=_("县(市)"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("救助类型"), max_length=12, choices=AssistanceKind.choices)
    amount_fen = models.BigIntegerField(_("申请金额(分)"))
    approved_amount_fen = models.BigIntegerField(_("核定金额(分)"), null=True, blank=True)
    reasons = models.TextField(_("申请事由"))
    attachment = models.FileField(_("附件"), upload_to="assistance/%Y/%m/", blank=True,
                                  validators=[FileExtensionValidator(ATTACHMENT_EXTENSIONS)])
    fast_track = models.BooleanField(_("先行救助"), default=False)
    status = models.CharField(_("状态"), max_length=20, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.SUBMITTED)
    one_case_decision = models.ForeignKey("services.OneCaseDecision", verbose_name=_("一事一议"), null=True,
                                          blank=True, on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey("services.Referral", verbose_name=_("来源转介"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    raised_by = models.ForeignKey(User, verbose_name=_("申请登记人"), on_delete=models.PROTECT, related_name="+")
    raised_on = models.DateField(_("申请日期"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("救助申请")
        verbose_name_plural = _("救助申请")
        ordering = ["-raised_on", "-id"]
        indexes = [models.Index(fields=["county", "status"], name="assist_app_county_status_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="assistance_amount_positive"),
            models.CheckConstraint(condition=Q(approved_amount_fen__isnull=True) | Q(approved_amount_fen__gt=0),
                                   name="assistance_approved_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.get_kind_display()} {self.raised_on:%Y-%m-%d}"


class ApplicationAction(models.TextChoices):
    SUBMIT = "submit", _("提出申请")
    TOWNSHIP_APPROVE = "township_approve", _("乡镇审核同意")
    COUNTY_APPROVE = "county_approve", _("县级审批同意")
    REJECT = "reject", _("不予救助")
    FAST_PAY = "fast_pay", _("先行救助发放")
    PAY = "pay", _("发放")
    REVIEW = "review", _("县级复核")


class ApplicationEvent(models.Model):
    """The timeline of an application. Append-only (trigger)."""

    application = models.ForeignKey(AssistanceApplication, verbose_name=_("救助申请"), on_delete=models.PROTECT,
                                    related_name="events")
    action = models.CharField(_("操作"), max_length=20, choices=ApplicationAction.choices)
    from_status = models.CharField(_("原状态"), max_length=20, choices=ApplicationStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, choices=ApplicationStatus.choices)
    note = models.TextField(_("意见"), blank=True)
    amount_fen = models.BigIntegerField(_("金额(分)"), null=True, blank=True)
    actor = models.ForeignKey(User, verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("救助办理记录")
        verbose_name_plural = _("救助办理记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} → {self.get_to_status_display()}"


# --- the reserve fund -------------------------------------------------------------------------


class ReserveFund(models.Model):
    """A county's reserve fund (备用金). `balance_fen` is the sum of its entries, kept in step under
    a row lock by assistance.actions and never below zero (CHECK)."""

    county = models.OneToOneField(Area, verbose_name=_("县(市)"), primary_key=True, on_delete=models.PROTECT,
                                  related_name="+")
    balance_fen = models.BigIntegerField(_("余额(分)"), default=0)
    created_at = models.DateTimeField(_("建立时间"), auto_now_add=True)

    scope_rule = ScopeRule(area="county__code")

    class Meta:
        verbose_name = _("救助备用金")
        verbose_name_plural = _("救助备用金")
        constraints = [models.CheckConstraint(condition=Q(balance_fen__gte=0), name="reserve_fund_not_negative")]

    def __str__(self) -> str:
        return _("%(county)s 救助备用金") % {"county": self.county.name} if self.county_id else "—"


class ReserveEntryKind(models.TextChoices):
    ALLOCATION = "allocation", _("拨入")
    PAYMENT = "payment", _("救助支出")
    REVERSAL = "reversal", _("冲正")


class ReserveEntry(models.Model):
    """One line of the reserve fund's ledger. Append-only (trigger). `amount_fen` is signed;
    `balance_after_fen` the fund's balance right after it (postings are serialised by a row lock)."""

    fund = models.ForeignKey(ReserveFund, verbose_name=_("备用金"), on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("类型"), max_length=12, choices=ReserveEntryKind.choices)
    amount_fen = models.BigIntegerField(_("金额(分)"))
    balance_after_fen = models.BigIntegerField(_("余额(分)"))
    entry_date = models.DateField(_("发生日期"))
    application = models.ForeignKey(AssistanceApplication, verbose_name=_("救助申请"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="reserve_entries")
    channel = models.CharField(_("发放方式"), max_length=8, choices=PaymentChannel.choices, blank=True)
    reverses = models.OneToOneField("self", verbose_name=_("冲正的记录"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="reversed_by")
    note = models.CharField(_("摘要"), max_length=200, blank=True)
    idempotency_key = models.UUIDField(_("提交标识"), unique=True, default=uuid.uuid4, editable=False)
    recorded_by = models.ForeignKey(User, verbose_name=_("经办人"), on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    # Its own area, not its fund's: the county sees every line; a township that may open its
    # county's fund sees only the lines paid to households of its own area (issue 21's leak).
    scope_rule = ScopeRule(area=("fund__county__code", "application__household__village__code"))

    class Meta:
        verbose_name = _("备用金台账")
        verbose_name_plural = _("备用金台账")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_fen=0), name="reserve_entry_not_zero"),
            models.CheckConstraint(condition=Q(balance_after_fen__gte=0), name="reserve_entry_balance_not_negative"),
            models.CheckConstraint(
                condition=Q(kind="allocation", amount_fen__gt=0, application__isnull=True)
                | Q(kind="payment", amount_fen__lt=0, application__isnull=False)
                | Q(kind="reversal", reverses__isnull=False),
                name="reserve_entry_kind_sign",
            ),
            # One payment per application: money leaves the fund once for one approval.
            models.UniqueConstraint(fields=["application"], condition=Q(kind="payment"),
                                    name="reserve_one_payment_per_application"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_fen}"


# --- emergencies ------------------------------------------------------------------------------


class EmergencyKind(models.TextChoices):
    FLOOD = "flood", _("洪涝")
    LANDSLIDE = "landslide", _("山体滑坡/地质灾害")
    FIRE = "fire", _("火灾")
    EPIDEMIC = "epidemic", _("疫情")
    COLD = "cold", _("低温雨雪冰冻")


def _ancestor_codes(code: str, level: str) -> list[str]:
    """The full codes of the township and county above an area (the areas an event may name)."""
    return [code[:n].ljust(12, "0") for n in (6, 9) if n < PREFIX_LENGTH[level]]


def _emergency_reach(user: User) -> Q | None:
    """Events a user meets besides those their own county declared: an event whose affected areas
    overlap the area of one of their area roles (an area inside theirs, or above theirs), and, for
    a cadre, an event over the village of a household they are paired with. Nobody else — a
    financial supervisor or a department liaison meets no event."""
    roles = user_roles(user)
    codes: set[str] = set()
    prefixes = []
    for role in roles:
        if role.role in AREA_ROLES and role.area is not None:
            prefixes.append(role.area.code[: PREFIX_LENGTH[role.area.level]])
            codes.update(_ancestor_codes(role.area.code, role.area.level))
    cadre_q = _cadre_household_q(user)
    if cadre_q is not None:
        for village in Household.objects.filter(cadre_q).order_by().values_list("village_id", flat=True).distinct():
            codes.update([village, *_ancestor_codes(village, "village")])
    touched = prefix_q("area__code", prefixes)
    if codes:
        touched = Q(area__code__in=sorted(codes)) if touched is None else touched | Q(area__code__in=sorted(codes))
    if touched is None:
        return None
    return Q(pk__in=Emergency.areas.through.objects.filter(touched).values("emergency_id"))


class Emergency(models.Model):
    """An emergency event declared by a county (or the prefecture) for some of its areas."""

    kind = models.CharField(_("类型"), max_length=10, choices=EmergencyKind.choices)
    title = models.CharField(_("事件名称"), max_length=100)
    county = models.ForeignKey(Area, verbose_name=_("宣布单位(县/州)"), on_delete=models.PROTECT, related_name="+")
    areas = models.ManyToManyField(Area, verbose_name=_("受影响区域"), related_name="emergencies")
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    special_period = models.BooleanField(_("宣布为特殊时期"), default=False,
                                         help_text=_("期间电话、视频走访与点名核查计入有效走访。"))
    description = models.TextField(_("情况说明"), blank=True)
    declared_by = models.ForeignKey(User, verbose_name=_("宣布人"), on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    # The declaring county's officials, and whoever works in an affected area. What each of them
    # sees inside the event (roll call, relief, report) is scoped by the household's own rule.
    scope_rule = ScopeRule(area="county__code", assignment=_emergency_reach)

    class Meta:
        verbose_name = _("应急事件")
        verbose_name_plural = _("应急事件")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                                   name="emergency_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.starts_on:%Y-%m-%d}）"


class RollCallStatus(models.TextChoices):
    SAFE = "safe", _("安全")
    NEEDS_EVACUATION = "needs_evacuation", _("需转移")
    EVACUATED = "evacuated", _("已转移安置")
    NEEDS_RESCUE = "needs_rescue", _("需救援")
    UNREACHABLE = "unreachable", _("失联")


class RollCall(models.Model):
    """One check of one affected household during an emergency. Append-only: a later check
    supersedes an earlier one on the board; the history stays. `client_token` makes a retried
    submission from a phone store once."""

    emergency = models.ForeignKey(Emergency, verbose_name=_("应急事件"), on_delete=models.PROTECT,
                                  related_name="roll_calls")
    household = models.ForeignKey(Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=18, choices=RollCallStatus.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    checked_by = models.ForeignKey(User, verbose_name=_("核查人"), on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField(_("核查时间"))
    received_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    client_token = models.UUIDField(_("提交标识"), default=uuid.uuid4)

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("点名核查")
        verbose_name_plural = _("点名核查")
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["emergency", "household", "-checked_at"], name="rollcall_latest_idx")]
        constraints = [
            models.UniqueConstraint(fields=["emergency", "client_token"], name="rollcall_token_once"),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.get_status_display()}"


class Relief(models.Model):
    """Relief given to a household during an emergency (grain, clothing, cash …)."""

    emergency = models.ForeignKey(Emergency, verbose_name=_("应急事件"), on_delete=models.PROTECT,
                                  related_name="reliefs")
    household = models.ForeignKey(Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="+")
    given_on = models.DateField(_("发放日期"))
    items = models.CharField(_("救助物资/内容"), max_length=200)
    amount_fen = models.BigIntegerField(_("折合金额(分)"), default=0, validators=[MinValueValidator(0)])
    recorded_by = models.ForeignKey(User, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("应急救助发放")
        verbose_name_plural = _("应急救助发放")
        ordering = ["-given_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gte=0), name="relief_amount_not_negative")]

    def __str__(self) -> str:
        return f"{self.household} {self.given_on:%Y-%m-%d} {self.items}"


# --- outcomes on the §4 lists ----------------------------------------------------------------


class AppraisalGrade(models.TextChoices):
    """Dilapidated-house appraisal (农村住房安全性鉴定): C and D need renovation."""

    PENDING = "", _("待鉴定")
    A = "A", _("A级（安全）")
    B = "B", _("B级（基本安全）")
    C = "C", _("C级危房（局部危险）")
    D = "D", _("D级危房（整栋危险）")


class HousingStatus(models.TextChoices):
    REPORTED = "reported", _("待鉴定")
    APPRAISED = "appraised", _("已鉴定")
    PLANNED = "planned", _("纳入改造计划")
    UNDERWAY = "underway", _("改造中")
    DONE = "done", _("已竣工")
    NOT_NEEDED = "not_needed", _("无需改造")


class HousingSource(models.TextChoices):
    VISIT = "visit", _("走访发现房屋隐患")
    SURVEY = "survey", _("住房安全排查")


class HousingCase(models.Model):
    """A household's house on the dilapidated-housing list (§4(4)), from a visit's house hazard or
    a survey, followed through appraisal and renovation; exported for 住建."""

    household = models.OneToOneField(Household, verbose_name=_("家庭"), on_delete=models.PROTECT,
                                     related_name="housing_case")
    source = models.CharField(_("来源"), max_length=8, choices=HousingSource.choices)
    visit = models.ForeignKey("visits.Visit", verbose_name=_("来源走访"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    grade = models.CharField(_("鉴定等级"), max_length=1, choices=AppraisalGrade.choices, blank=True)
    appraised_on = models.DateField(_("鉴定日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=HousingStatus.choices, default=HousingStatus.REPORTED)
    renovation_year = models.PositiveSmallIntegerField(_("改造年度"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    updated_by = models.ForeignKey(User, verbose_name=_("更新人"), on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("危房台账")
        verbose_name_plural = _("危房台账")
        ordering = ["household__village_id", "household__code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=["planned", "underway", "done"]) | Q(grade__in=["C", "D"]),
                name="housing_renovation_needs_c_or_d"),
            models.CheckConstraint(condition=Q(grade="") | Q(appraised_on__isnull=False),
                                   name="housing_grade_has_date"),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.get_status_display()}"


class AidKind(models.TextChoices):
    MEDICAL = "medical", _("医疗救助")
    EMPLOYMENT_SERVICE = "employment_service", _("就业服务")
    EMPLOYMENT_SUBSIDY = "employment_subsidy", _("就业补贴")
    WELFARE_POST = "welfare_post", _("公益性岗位")
    LEGAL_AID = "legal_aid", _("法律援助")
    REHABILITATION = "rehabilitation", _("康复救助")


class AidRecord(models.Model):
    """Help actually received by a person from a §4 list (medical aid, employment services,
    subsidies, public-welfare posts, legal aid, rehabilitation)."""

    person = models.ForeignKey("beneficiaries.Person", verbose_name=_("对象"), on_delete=models.PROTECT,
                               related_name="aid_records")
    kind = models.CharField(_("帮扶类型"), max_length=20, choices=AidKind.choices)
    received_on = models.DateField(_("日期"))
    amount_fen = models.BigIntegerField(_("金额(分)"), default=0)
    provider = models.CharField(_("实施单位"), max_length=100)
    detail = models.CharField(_("内容"), max_length=200)
    recorded_by = models.ForeignKey(User, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scope_rule = ScopeRule(area="person__household__village__code",
                           assignment=lambda user: _cadre_household_q(user, "person__household__"))

    class Meta:
        verbose_name = _("帮扶成效")
        verbose_name_plural = _("帮扶成效")
        ordering = ["-received_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gte=0), name="aid_amount_not_negative")]

    def __str__(self) -> str:
        return f"{self.person} {self.get_kind_display()} {self.received_on:%Y-%m-%d}"


class ContributionKind(models.TextChoices):
    DONATION = "donation", _("爱心捐赠")
    VOLUNTEER = "volunteer", _("志愿服务")


class Contribution(models.Model):
    """A donation or volunteer activity (五社联动) logged against a household."""

    household = models.ForeignKey(Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=10, choices=ContributionKind.choices)
    provider = models.ForeignKey("services.ServiceProvider", verbose_name=_("社会服务资源"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    given_by = models.CharField(_("捐赠方/志愿者"), max_length=100)
    on = models.DateField(_("日期"))
    description = models.CharField(_("内容"), max_length=200)
    value_fen = models.BigIntegerField(_("折合金额(分)"), default=0)
    hours = models.PositiveIntegerField(_("服务时长(小时)"), default=0)
    recorded_by = models.ForeignKey(User, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("五社联动记录")
        verbose_name_plural = _("五社联动记录")
        ordering = ["-on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(value_fen__gte=0), name="contribution_value_not_negative")]

    def __str__(self) -> str:
        return f"{self.household} {self.get_kind_display()} {self.on:%Y-%m-%d}"

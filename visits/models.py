"""Visits and what follows from them: the visit policy, pauses and special periods that shape
the schedule, findings followed to closure, escalations, overdue and shortfall alerts. (The notification inbox
is accounts.models.Notification.)"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    Area,
    Notification,  # noqa: F401  (moved to accounts; kept importable here)
    User,
)
from accounts.scoping import ScopeRule
from beneficiaries.models import Household, Tier, _cadre_household_q, household_child_scope


class VisitPolicy(models.Model):
    """A per-county override of the visit interval and monthly minimum of one tier, from a date.
    Rows are never edited: a new row with a later date supersedes. Without a row the defaults of
    SPEC §7 apply (visits.rules.DEFAULT_POLICY)."""

    county = models.ForeignKey(Area, verbose_name=_("县(市)"), on_delete=models.PROTECT, related_name="+")
    tier = models.CharField(_("类别"), max_length=1, choices=Tier.choices)
    interval_days = models.PositiveSmallIntegerField(
        _("走访间隔(天)"), validators=[MinValueValidator(1), MaxValueValidator(92)]
    )
    monthly_minimum = models.PositiveSmallIntegerField(
        _("每月最低走访次数"), validators=[MinValueValidator(0), MaxValueValidator(31)]
    )
    effective_on = models.DateField(_("生效日期"))
    reason = models.CharField(_("调整理由"), max_length=200)
    set_by = models.ForeignKey(User, verbose_name=_("设置人"), on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(_("设置时间"), auto_now_add=True)

    scope_rule = ScopeRule(area="county__code")

    class Meta:
        verbose_name = _("走访频次设置")
        verbose_name_plural = _("走访频次设置")
        ordering = ["county_id", "tier", "-effective_on"]
        constraints = [
            models.UniqueConstraint(fields=["county", "tier", "effective_on"], name="visitpolicy_one_per_day"),
            models.CheckConstraint(condition=Q(interval_days__gte=1), name="visitpolicy_interval_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.county} {self.tier} {self.interval_days}天/{self.monthly_minimum}次 自{self.effective_on}"


class PauseKind(models.TextChoices):
    HOSPITAL = "hospital", _("住院")
    AWAY = "away", _("随亲外出")
    DECEASED = "deceased", _("死亡")
    EXITED = "exited", _("退出")


class Pause(models.Model):
    """A period in which a visit is impossible; it stops the schedule clock (§7)."""

    household = models.ForeignKey(Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="pauses")
    kind = models.CharField(_("暂停原因类别"), max_length=10, choices=PauseKind.choices)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True, help_text=_("尚未结束可不填"))
    reason = models.CharField(_("情况说明"), max_length=200)
    created_by = models.ForeignKey(User, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("走访暂停")
        verbose_name_plural = _("走访暂停")
        ordering = ["household_id", "-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")), name="pause_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_on}—{self.ends_on or ''}"


class SpecialPeriodKind(models.TextChoices):
    EPIDEMIC = "epidemic", _("疫情")
    DISASTER = "disaster", _("灾害")
    OTHER = "other", _("其他")


class SpecialPeriod(models.Model):
    """A declared epidemic or disaster period in an area: phone and video visits count (§4(11))."""

    area = models.ForeignKey(Area, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=10, choices=SpecialPeriodKind.choices)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    reason = models.CharField(_("说明"), max_length=200)
    declared_by = models.ForeignKey(User, verbose_name=_("宣布人"), on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scope_rule = ScopeRule(area="area__code")

    class Meta:
        verbose_name = _("特殊时期")
        verbose_name_plural = _("特殊时期")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="specialperiod_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.get_kind_display()} {self.starts_on}—{self.ends_on}"


class VisitMode(models.TextChoices):
    IN_PERSON = "in_person", _("入户")
    PHONE = "phone", _("电话")
    VIDEO = "video", _("视频")


REMOTE_MODES = (VisitMode.PHONE, VisitMode.VIDEO)


# "未询问" is an explicit answer to a §3 core item (visits.checklist): a blank is not an answer.
NOT_ASKED = "not_asked"


class Condition(models.TextChoices):
    OK = "ok", _("正常")
    DIFFICULT = "difficult", _("有困难")
    NOT_ASKED = NOT_ASKED, _("未询问")


class Health(models.TextChoices):
    GOOD = "good", _("良好")
    FAIR = "fair", _("一般")
    POOR = "poor", _("较差")
    CRITICAL = "critical", _("病重")
    NOT_ASKED = NOT_ASKED, _("未询问")


class FamilySupport(models.TextChoices):
    FULFILLED = "fulfilled", _("履行到位")
    PARTLY = "partly", _("部分履行")
    NOT = "not", _("未履行")
    NO_FAMILY = "no_family", _("无赡养扶养人")
    NOT_ASKED = NOT_ASKED, _("未询问")


class Safety(models.TextChoices):
    SAFE = "safe", _("安全")
    HAZARD = "hazard", _("有隐患")
    NONE = "none", _("无此设施")
    NOT_ASKED = NOT_ASKED, _("未询问")


class Benefit(models.TextChoices):
    TEKUN = "tekun", _("特困人员供养")
    DIBAO = "dibao", _("最低生活保障")
    ORPHAN = "orphan", _("孤儿/事实无人抚养儿童基本生活费")
    DISABILITY = "disability", _("残疾人两项补贴")
    MEDICAL = "medical", _("医疗保险/医疗救助")
    PENSION = "pension", _("城乡居民养老保险")
    TEMPORARY = "temporary", _("临时救助")
    OTHER = "other", _("其他")
    NONE = "none", _("未享受")
    NOT_ASKED = NOT_ASKED, _("未询问")


class Need(models.TextChoices):
    DAILY_CARE = "daily_care", _("生活照料")
    REHAB = "rehab", _("康复护理")
    EMOTIONAL = "emotional", _("精神慰藉")
    EMERGENCY = "emergency", _("紧急救援")
    NONE = "none", _("暂无需求")
    NOT_ASKED = NOT_ASKED, _("未询问")


class GeoStatus(models.TextChoices):
    """What the device said about its position when the cadre pressed 保存."""

    OK = "ok", _("已定位")
    DENIED = "denied", _("未授权定位")
    UNAVAILABLE = "unavailable", _("无法定位")
    NOT_ASKED = NOT_ASKED, _("未获取定位")


class VisitConflict(models.TextChoices):
    """The household changed while the cadre was offline: the visit is kept and flagged."""

    EXITED = "exited", _("家庭已退出")
    REPAIRED = "repaired", _("已改由他人结对")


class VisitSource(models.TextChoices):
    FORM = "form", _("在线填报")
    IMPORT = "import", _("纸质台账导入")


class Visit(models.Model):
    """One visit and what it learned, structured as the §3 checklist. Never deleted."""

    household = models.ForeignKey(Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="visits")
    visited_on = models.DateField(_("走访日期"))
    mode = models.CharField(_("走访方式"), max_length=10, choices=VisitMode.choices, default=VisitMode.IN_PERSON)
    # Whether it counts toward the schedule: in person, or remote inside a special period. Kept by
    # visits.actions (visit_record, special_period_declare) so schedules are plain SQL.
    counted = models.BooleanField(_("计入有效走访"), default=True)
    visitor = models.ForeignKey(
        User, verbose_name=_("走访人账号"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    visitor_name = models.CharField(_("走访人"), max_length=50)
    met_with = models.CharField(_("见到的人"), max_length=100, blank=True)
    # §3 (1) health
    health = models.CharField(_("健康情况"), max_length=10, choices=Health.choices, blank=True)
    health_note = models.CharField(_("健康情况说明"), max_length=200, blank=True)
    # §3 (2) clothing, food, housing, transport, medical care; benefits received
    food = models.CharField(_("食"), max_length=10, choices=Condition.choices, blank=True)
    clothing = models.CharField(_("衣"), max_length=10, choices=Condition.choices, blank=True)
    housing = models.CharField(_("住"), max_length=10, choices=Condition.choices, blank=True)
    transport = models.CharField(_("行"), max_length=10, choices=Condition.choices, blank=True)
    medical = models.CharField(_("医"), max_length=10, choices=Condition.choices, blank=True)
    living_note = models.CharField(_("衣食住行医说明"), max_length=200, blank=True)
    benefits = ArrayField(
        models.CharField(max_length=12, choices=Benefit.choices), verbose_name=_("享受社会保障待遇"), default=list, blank=True
    )
    # §3 (3) family support duties
    family_support = models.CharField(_("赡养扶养义务履行"), max_length=10, choices=FamilySupport.choices, blank=True)
    # §3 (4) house and utilities
    house_safety = models.CharField(_("房屋安全"), max_length=10, choices=Safety.choices, blank=True)
    water_safety = models.CharField(_("用水安全"), max_length=10, choices=Safety.choices, blank=True)
    power_safety = models.CharField(_("用电安全"), max_length=10, choices=Safety.choices, blank=True)
    gas_safety = models.CharField(_("用气安全"), max_length=10, choices=Safety.choices, blank=True)
    heating_safety = models.CharField(_("取暖安全"), max_length=10, choices=Safety.choices, blank=True)
    # §3 (5) service needs
    needs = ArrayField(
        models.CharField(max_length=12, choices=Need.choices), verbose_name=_("服务需求"), default=list, blank=True
    )
    # Hazards ticked above but removed on the spot (no finding opened): names of safety fields.
    hazards_fixed = ArrayField(
        models.CharField(max_length=16), verbose_name=_("当场已排除的隐患"), default=list, blank=True
    )
    wishes = models.TextField(_("本人意愿"), blank=True)
    wishes_not_asked = models.BooleanField(_("本人意愿未询问"), default=False)
    notes = models.TextField(_("走访记录"), blank=True)
    late_reason = models.CharField(_("补录说明"), max_length=200, blank=True)
    source = models.CharField(_("来源"), max_length=8, choices=VisitSource.choices, default=VisitSource.FORM)
    recorded_by = models.ForeignKey(User, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    # Minted by the browser per attempt: a retry of the same attempt (double tap, outbox replay)
    # by the same user for the same household records one visit (constraint below).
    client_token = models.UUIDField(_("提交标识"), null=True, blank=True, editable=False)
    # When the cadre pressed 保存 on the device (may be days before it arrived: offline outbox).
    # It arrived at `recorded_at` (exposed as `received_at`).
    captured_at = models.DateTimeField(_("采集时间"), null=True, blank=True)
    # Position for spot checks (township and up only; never shown to other cadres).
    geo_status = models.CharField(_("定位情况"), max_length=12, choices=GeoStatus.choices, blank=True)
    geo_lat = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    geo_lng = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    geo_accuracy_m = models.PositiveIntegerField(_("定位精度(米)"), null=True, blank=True)
    conflict = models.CharField(_("离线冲突"), max_length=10, choices=VisitConflict.choices, blank=True)

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_on", "-id"]
        indexes = [
            models.Index(fields=["household", "-visited_on"], name="visit_household_date_idx"),
            models.Index(fields=["household", "-visited_on"], condition=Q(counted=True), name="visit_counted_idx"),
            models.Index(fields=["visited_on"], name="visit_date_idx"),
            models.Index(fields=["-recorded_at"], condition=~Q(conflict=""), name="visit_conflict_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recorded_by", "household", "client_token"], condition=Q(client_token__isnull=False),
                name="visit_once_per_client_token",
            ),
            models.CheckConstraint(
                condition=(Q(geo_status="ok") & Q(geo_lat__isnull=False) & Q(geo_lng__isnull=False))
                | (~Q(geo_status="ok") & Q(geo_lat__isnull=True) & Q(geo_lng__isnull=True)),
                name="visit_position_only_when_located",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.visited_on} {self.get_mode_display()}"

    @property
    def hazard_summary(self) -> str:
        """"房屋、用电（当场已排除）" — the safety items answered 有隐患."""
        from .checklist import HAZARDS

        fixed = set(self.hazards_fixed)
        return "、".join(
            f"{label}（{_('当场已排除')}）" if name in fixed else str(label)
            for name, label in HAZARDS.items() if getattr(self, name) == Safety.HAZARD
        )

    @property
    def received_at(self):
        """When the server received the visit (the outbox may deliver it days after capture)."""
        return self.recorded_at


def _photo_path(instance: VisitPhoto, filename: str) -> str:
    return f"visits/{instance.visit.visited_on:%Y/%m}/{instance.visit_id}-{filename}"


class VisitPhoto(models.Model):
    visit = models.ForeignKey(Visit, verbose_name=_("走访记录"), on_delete=models.PROTECT, related_name="photos")
    image = models.FileField(
        _("照片"), upload_to=_photo_path, validators=[FileExtensionValidator(["jpg", "jpeg", "png", "heic", "webp"])]
    )

    scope_rule = ScopeRule(
        area="visit__household__village__code", assignment=lambda user: _cadre_household_q(user, "visit__household__")
    )

    class Meta:
        verbose_name = _("走访照片")
        verbose_name_plural = _("走访照片")

    def __str__(self) -> str:
        return self.image.name


class FindingKind(models.TextChoices):
    HAZARD = "hazard", _("安全隐患")
    SERVICE_NEED = "service_need", _("服务需求")
    BENEFIT = "benefit", _("可能符合救助政策")
    SPECIAL = "special", _("特殊情况")


class FindingStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    IN_PROGRESS = "in_progress", _("处理中")
    CLOSED = "closed", _("已办结")


# Allowed moves: open → in progress → closed, and open → closed for a problem solved at once.
FINDING_TRANSITIONS = {
    FindingStatus.OPEN: {FindingStatus.IN_PROGRESS, FindingStatus.CLOSED},
    FindingStatus.IN_PROGRESS: {FindingStatus.CLOSED},
    FindingStatus.CLOSED: set(),
}


class Finding(models.Model):
    """A problem a visit found, followed until it is closed (闭环)."""

    household = models.ForeignKey(Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="findings")
    visit = models.ForeignKey(
        Visit, verbose_name=_("来源走访"), null=True, blank=True, on_delete=models.PROTECT, related_name="findings"
    )
    kind = models.CharField(_("问题类型"), max_length=14, choices=FindingKind.choices)
    description = models.TextField(_("问题描述"))
    owner = models.ForeignKey(User, verbose_name=_("责任人"), on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("办结期限"))
    status = models.CharField(_("状态"), max_length=12, choices=FindingStatus.choices, default=FindingStatus.OPEN)
    closing_note = models.TextField(_("办结情况"), blank=True)
    closed_on = models.DateField(_("办结日期"), null=True, blank=True)
    created_by = models.ForeignKey(User, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("发现问题")
        verbose_name_plural = _("发现问题")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["due_on"], condition=~Q(status="closed"), name="finding_open_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="closed") | (Q(closed_on__isnull=False) & ~Q(closing_note="")),
                name="finding_closed_has_note",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.get_kind_display()}"

    @property
    def is_open(self) -> bool:
        return self.status != FindingStatus.CLOSED


class FindingEvent(models.Model):
    """Each status change of a finding, with who and why. Append-only (database trigger)."""

    finding = models.ForeignKey(Finding, verbose_name=_("问题"), on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(_("原状态"), max_length=12, choices=FindingStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12, choices=FindingStatus.choices)
    note = models.TextField(_("说明"), blank=True)
    actor = models.ForeignKey(User, verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("问题处理记录")
        verbose_name_plural = _("问题处理记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'}→{self.to_status}"


class OverdueAlert(models.Model):
    """One alert per (household, due date): raised by the daily job when the due date has passed,
    closed by the next counted visit (or when a pause or policy change moves the due date)."""

    household = models.ForeignKey(
        Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="overdue_alerts"
    )
    due_on = models.DateField(_("应访日期"))
    opened_on = models.DateField(_("预警日期"))
    closed_on = models.DateField(_("关闭日期"), null=True, blank=True)
    closed_by_visit = models.ForeignKey(
        Visit, verbose_name=_("关闭走访"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("逾期预警")
        verbose_name_plural = _("逾期预警")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["household", "due_on"], name="overduealert_once_per_due_date"),
        ]
        indexes = [
            models.Index(fields=["household"], condition=Q(closed_on__isnull=True), name="overduealert_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.due_on}"


class ShortfallAlert(models.Model):
    """A closed month with fewer counted visits than its (pro-rated) minimum."""

    household = models.ForeignKey(
        Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="shortfall_alerts"
    )
    month = models.DateField(_("月份"))  # the first day of the month
    counted = models.PositiveSmallIntegerField(_("有效走访次数"))
    minimum = models.PositiveSmallIntegerField(_("最低走访次数"))
    raised_on = models.DateField(_("预警日期"))

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("月度走访不足预警")
        verbose_name_plural = _("月度走访不足预警")
        constraints = [
            models.UniqueConstraint(fields=["household", "month"], name="shortfallalert_once_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="shortfallalert_month_is_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.month:%Y-%m} {self.counted}/{self.minimum}"


class EscalationLevel(models.TextChoices):
    TOWNSHIP = "township", _("乡镇(街道)")
    COUNTY = "county", _("县(市)")


class EscalationKind(models.TextChoices):
    SPECIAL = "special", _("特殊情况报告")
    OVERDUE = "overdue", _("逾期未走访")


class Escalation(models.Model):
    """Something raised to the township or county: a special situation found on a visit (at once)
    or an overdue visit (7 and 30 days). Stays on the desk until closed."""

    household = models.ForeignKey(Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="escalations")
    kind = models.CharField(_("类型"), max_length=10, choices=EscalationKind.choices)
    level = models.CharField(_("上报层级"), max_length=10, choices=EscalationLevel.choices)
    area = models.ForeignKey(Area, verbose_name=_("上报至"), on_delete=models.PROTECT, related_name="+")
    finding = models.ForeignKey(
        Finding, verbose_name=_("问题"), null=True, blank=True, on_delete=models.PROTECT, related_name="escalations"
    )
    alert = models.ForeignKey(
        OverdueAlert, verbose_name=_("逾期预警"), null=True, blank=True, on_delete=models.PROTECT, related_name="escalations"
    )
    summary = models.CharField(_("摘要"), max_length=200)
    opened_on = models.DateField(_("上报日期"))
    closed_on = models.DateField(_("关闭日期"), null=True, blank=True)

    scope_rule = ScopeRule(area="area__code")

    class Meta:
        verbose_name = _("特殊情况报告")
        verbose_name_plural = _("特殊情况报告")
        ordering = ["opened_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "level"], name="escalation_once_per_alert_level"),
            models.UniqueConstraint(fields=["finding", "level"], name="escalation_once_per_finding_level"),
            models.CheckConstraint(
                condition=Q(finding__isnull=False) | Q(alert__isnull=False), name="escalation_has_source"
            ),
        ]
        indexes = [models.Index(fields=["area"], condition=Q(closed_on__isnull=True), name="escalation_open_idx")]

    def __str__(self) -> str:
        return self.summary


# Reassignments, new deadlines and closure photos of findings (issue 10) live in their own module.
from .finding_models import FindingChange, FindingChangeKind, FindingPhoto  # noqa: E402,F401

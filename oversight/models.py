"""Oversight (§6): visit spot checks, half-yearly supervision inspections, the problems both find
and their rectification, and the year-end assessment (settings and county sign-off)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Area, User
from accounts.scoping import ScopeRule
from beneficiaries.models import Cadre, Household
from visits.models import Visit

# --- visit spot checks (回访抽查) ------------------------------------------------------------------


class SpotCheckDraw(models.Model):
    """A reproducible sample of one month's logged visits in an area, `per_cadre` visits of each
    cadre, drawn with a recorded seed: the same seed over the same visits draws the same sample."""

    area = models.ForeignKey(Area, verbose_name=_("抽查区划"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("走访月份"), help_text=_("该月第一天"))
    per_cadre = models.PositiveSmallIntegerField(_("每名干部抽查条数"))
    seed = models.BigIntegerField(_("随机种子"))
    drawn_by = models.ForeignKey(User, verbose_name=_("抽样人"), on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField(_("抽样时间"), auto_now_add=True)

    scope_rule = ScopeRule(area="area__code")

    class Meta:
        verbose_name = _("回访抽查批次")
        verbose_name_plural = _("回访抽查批次")
        ordering = ["-month", "area_id"]
        constraints = [
            models.UniqueConstraint(fields=["area", "month"], name="spot_check_draw_once_per_area_month"),
            models.CheckConstraint(condition=Q(per_cadre__gte=1, per_cadre__lte=20), name="spot_check_per_cadre_1_20"),
        ]

    def __str__(self) -> str:
        return f"{self.area.name} {self.month:%Y-%m}"


class CheckMethod(models.TextChoices):
    REVISIT = "revisit", _("入户回访")
    PHONE = "phone", _("电话回访")


class CheckOutcome(models.TextChoices):
    PENDING = "pending", _("待回访")
    CONFIRMED = "confirmed", _("属实")
    DISCREPANCY = "discrepancy", _("不属实")


class SpotCheckItem(models.Model):
    """One sampled visit and what the re-visit or phone-back found."""

    draw = models.ForeignKey(SpotCheckDraw, verbose_name=_("抽查批次"), on_delete=models.PROTECT, related_name="items")
    visit = models.ForeignKey(Visit, verbose_name=_("走访记录"), on_delete=models.PROTECT, related_name="+")
    cadre = models.ForeignKey(Cadre, verbose_name=_("结对干部"), on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("回访结论"), max_length=12, choices=CheckOutcome.choices, default=CheckOutcome.PENDING)
    method = models.CharField(_("回访方式"), max_length=8, choices=CheckMethod.choices, blank=True)
    checked_on = models.DateField(_("回访日期"), null=True, blank=True)
    checked_by = models.ForeignKey(User, verbose_name=_("回访人"), null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    date_confirmed = models.BooleanField(_("走访日期属实"), null=True)
    person_confirmed = models.BooleanField(_("见到的人属实"), null=True)
    checklist_plausible = models.BooleanField(_("记录内容可信"), null=True)
    location_plausible = models.BooleanField(_("定位/录入时间合理"), null=True, help_text=_("走访记录有定位或录入时间时填写"))
    note = models.TextField(_("回访情况"), blank=True)

    scope_rule = ScopeRule(area="draw__area__code")

    class Meta:
        verbose_name = _("回访抽查记录")
        verbose_name_plural = _("回访抽查记录")
        ordering = ["cadre__name", "visit__visited_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "visit"], name="spot_check_visit_once_per_draw"),
            models.CheckConstraint(
                condition=Q(outcome="pending") | (Q(checked_on__isnull=False) & ~Q(method="")),
                name="spot_check_checked_has_date_and_method",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.draw} #{self.visit_id}"


# --- supervision inspections (督导检查) ------------------------------------------------------------


class InspectionStatus(models.TextChoices):
    PLANNED = "planned", _("已计划")
    SAMPLED = "sampled", _("检查中")
    COMPLETED = "completed", _("已完成")


class Inspection(models.Model):
    """A half-yearly supervision inspection: who inspects which townships, with a reproducible
    household sample per township."""

    organiser = models.ForeignKey(Area, verbose_name=_("组织单位区划"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    half = models.PositiveSmallIntegerField(_("半年"), choices=[(1, _("上半年")), (2, _("下半年"))])
    title = models.CharField(_("名称"), max_length=100)
    townships = models.ManyToManyField(Area, verbose_name=_("被检查乡镇(街道)"), related_name="+")
    team = models.ManyToManyField(User, verbose_name=_("检查组成员"), related_name="+", blank=True)
    team_note = models.CharField(_("检查组其他成员"), max_length=200, blank=True)
    sample_size = models.PositiveSmallIntegerField(_("每乡镇抽查户数"), default=10)
    seed = models.BigIntegerField(_("随机种子"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=InspectionStatus.choices, default=InspectionStatus.PLANNED)
    starts_on = models.DateField(_("检查开始日期"))
    summary = models.TextField(_("检查总结"), blank=True)
    created_by = models.ForeignKey(User, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    scope_rule = ScopeRule(area="organiser__code")

    class Meta:
        verbose_name = _("督导检查")
        verbose_name_plural = _("督导检查")
        ordering = ["-year", "-half", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(sample_size__gte=1, sample_size__lte=100), name="inspection_sample_1_100"),
            models.CheckConstraint(condition=~Q(status="sampled") | Q(seed__isnull=False), name="inspection_sampled_has_seed"),
        ]

    def __str__(self) -> str:
        return self.title


class InspectionHousehold(models.Model):
    """A sampled household and the inspection checklist for it (None: not yet checked / not applicable)."""

    inspection = models.ForeignKey(Inspection, verbose_name=_("督导检查"), on_delete=models.PROTECT, related_name="samples")
    township = models.ForeignKey(Area, verbose_name=_("乡镇(街道)"), on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="+")
    visits_meet_minimum = models.BooleanField(_("走访次数达标"), null=True)
    records_true = models.BooleanField(_("走访记录真实"), null=True)
    findings_closed = models.BooleanField(_("发现问题已闭环"), null=True)
    custody_checked = models.BooleanField(_("代管资金已检查"), null=True, help_text=_("无代管账户的家庭不填"))
    record_book_complete = models.BooleanField(_("关爱记录册完整"), null=True)
    note = models.TextField(_("检查情况"), blank=True)
    checked_by = models.ForeignKey(User, verbose_name=_("检查人"), null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    checked_at = models.DateTimeField(_("检查时间"), null=True, blank=True)

    scope_rule = ScopeRule(area="inspection__organiser__code")

    class Meta:
        verbose_name = _("督导抽查家庭")
        verbose_name_plural = _("督导抽查家庭")
        ordering = ["township_id", "household__code"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "household"], name="inspection_household_once"),
        ]

    def __str__(self) -> str:
        return f"{self.inspection} {self.household}"

    CHECKS = ("visits_meet_minimum", "records_true", "findings_closed", "custody_checked", "record_book_complete")

    @property
    def checked(self) -> bool:
        return self.checked_at is not None


# --- problems found by oversight, followed until rectified ------------------------------------------


class ProblemSource(models.TextChoices):
    SPOT_CHECK = "spot_check", _("回访抽查")
    INSPECTION = "inspection", _("督导检查")


class ProblemStatus(models.TextChoices):
    OPEN = "open", _("整改中")
    CLOSED = "closed", _("已整改")


class OversightProblem(models.Model):
    """A problem a spot check or an inspection found, against a record and a cadre or a
    township, with an owner and a rectification deadline, followed up until closed (整改)."""

    source = models.CharField(_("来源"), max_length=12, choices=ProblemSource.choices)
    area = models.ForeignKey(Area, verbose_name=_("所在乡镇(街道)"), on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, verbose_name=_("家庭"), null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    visit = models.ForeignKey(Visit, verbose_name=_("涉及走访记录"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    cadre = models.ForeignKey(Cadre, verbose_name=_("涉及干部"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    spot_check = models.OneToOneField(SpotCheckItem, verbose_name=_("回访抽查记录"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="problem")
    inspection = models.ForeignKey(Inspection, verbose_name=_("督导检查"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="problems")
    description = models.TextField(_("问题描述"))
    serious = models.BooleanField(_("严重问题"), default=False)
    reported_at = models.DateTimeField(_("报州时间"), null=True, blank=True)
    owner = models.ForeignKey(User, verbose_name=_("整改责任人"), on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("整改期限"))
    status = models.CharField(_("状态"), max_length=8, choices=ProblemStatus.choices, default=ProblemStatus.OPEN)
    closed_on = models.DateField(_("整改完成日期"), null=True, blank=True)
    created_by = models.ForeignKey(User, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+")
    created_on = models.DateField(_("登记日期"))

    scope_rule = ScopeRule(area="area__code")

    class Meta:
        verbose_name = _("督导发现问题")
        verbose_name_plural = _("督导发现问题")
        ordering = ["status", "due_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status="open") | Q(closed_on__isnull=False), name="problem_closed_has_date"),
            models.CheckConstraint(condition=~Q(serious=True) | Q(reported_at__isnull=False),
                                   name="problem_serious_is_reported"),
        ]

    def __str__(self) -> str:
        return self.description[:30]

    @property
    def closed_on_time(self) -> bool:
        return self.status == ProblemStatus.CLOSED and self.closed_on <= self.due_on


class RectificationStep(models.Model):
    """Follow-up of a problem: each note, and the closing one. Append-only."""

    problem = models.ForeignKey(OversightProblem, verbose_name=_("问题"), on_delete=models.PROTECT, related_name="steps")
    note = models.TextField(_("整改情况"))
    closes = models.BooleanField(_("整改完成"), default=False)
    actor = models.ForeignKey(User, verbose_name=_("填报人"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    scope_rule = ScopeRule(area="problem__area__code")

    class Meta:
        verbose_name = _("整改跟踪")
        verbose_name_plural = _("整改跟踪")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.note[:30]


# --- assessment (考核) ----------------------------------------------------------------------------


class AssessmentSetting(models.Model):
    """Weights (percent) and grade thresholds the prefecture sets for a year. Append-only: the
    latest row of a year applies, earlier ones stay as the record of who changed what when."""

    year = models.PositiveSmallIntegerField(_("年度"))
    weights = models.JSONField(_("指标权重"))
    excellent = models.PositiveSmallIntegerField(_("优秀分数线"))
    passing = models.PositiveSmallIntegerField(_("合格分数线"))
    set_by = models.ForeignKey(User, verbose_name=_("设置人"), on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(_("设置时间"), auto_now_add=True)
    reason = models.CharField(_("设置说明"), max_length=200, blank=True)

    scope_rule = ScopeRule(assignment=lambda user: Q() if user.is_authenticated else None)

    class Meta:
        verbose_name = _("考核指标设置")
        verbose_name_plural = _("考核指标设置")
        ordering = ["-year", "-set_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(excellent__gt=models.F("passing"), excellent__lte=100),
                                   name="assessment_thresholds_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.set_at:%Y-%m-%d %H:%M}"


class AssessmentKind(models.TextChoices):
    TOWNSHIP = "township", _("乡镇(街道)年度绩效")
    CADRE = "cadre", _("干部年度考核")


class AssessmentSignoff(models.Model):
    """The county's review and sign-off of a year's scores, once; the scores as signed are kept."""

    county = models.ForeignKey(Area, verbose_name=_("县(市)"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.CharField(_("考核类型"), max_length=10, choices=AssessmentKind.choices)
    setting = models.ForeignKey(AssessmentSetting, verbose_name=_("所用指标设置"), on_delete=models.PROTECT,
                                related_name="+")
    scores = models.JSONField(_("签发时得分"))
    opinion = models.TextField(_("审核意见"))
    signed_by = models.ForeignKey(User, verbose_name=_("签发人"), on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("签发时间"), auto_now_add=True)

    scope_rule = ScopeRule(area="county__code")

    class Meta:
        verbose_name = _("考核签发")
        verbose_name_plural = _("考核签发")
        constraints = [
            models.UniqueConstraint(fields=["county", "year", "kind"], name="assessment_signed_once"),
        ]

    def __str__(self) -> str:
        return f"{self.county} {self.year} {self.get_kind_display()}"


# --- care record books (关爱记录册) -----------------------------------------------------------------


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class RecordBookJob(models.Model):
    """A village's care record books in one PDF, built in the background; its progress is shown
    while it runs and the file is served only through a scoped view."""

    village = models.ForeignKey(Area, verbose_name=_("村(居)"), on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(User, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    status = models.CharField(_("状态"), max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total = models.PositiveIntegerField(_("户数"), default=0)
    done = models.PositiveIntegerField(_("已完成户数"), default=0)
    file = models.FileField(_("文件"), upload_to="recordbooks/", blank=True)
    error = models.CharField(_("错误"), max_length=200, blank=True)

    scope_rule = ScopeRule(area="village__code")

    class Meta:
        verbose_name = _("关爱记录册生成任务")
        verbose_name_plural = _("关爱记录册生成任务")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.village.name} {self.requested_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        return round(100 * self.done / self.total) if self.total else 0


class MonthlyCompliance(models.Model):
    """Closed-month visit compliance of an area (prefecture, county or township) by tier, kept by
    the nightly job (oversight.tasks.refresh_monthly_figures; issue 25): the dashboards read these
    rows instead of judging twelve months of every household on each page view. `computed_on` is
    the date the figures judge (the page says so)."""

    area = models.CharField(_("区划代码"), max_length=12)
    month = models.DateField(_("月份"))
    tier = models.CharField(_("类别"), max_length=1)
    met = models.PositiveIntegerField(_("达标户数"))
    households = models.PositiveIntegerField(_("应访户数"))
    computed_on = models.DateField(_("统计日期"))

    class Meta:
        verbose_name = _("月度走访达标统计")
        verbose_name_plural = _("月度走访达标统计")
        constraints = [models.UniqueConstraint(fields=["area", "month", "tier"], name="monthlycompliance_unique")]

    def __str__(self) -> str:
        return f"{self.area} {self.month:%Y-%m} {self.tier}: {self.met}/{self.households}"


class DailyFigure(models.Model):
    """This month's visit compliance and the overdue households of one village as judged on
    `computed_on`, kept by the nightly job (oversight.tasks.refresh_monthly_figures; issue 25):
    the dashboards sum these rows up to their areas instead of judging every household's schedule
    and the overdue report's rows on each view.

    `figure` is "compliance:<tier>" (value: households on track, total: households judged) or
    "overdue:<bucket>" (value: overdue households, total: their days overdue summed, maximum:
    the longest)."""

    village = models.CharField(_("村(居)区划代码"), max_length=12)
    figure = models.CharField(_("指标"), max_length=16)
    value = models.PositiveIntegerField(_("户数"))
    total = models.PositiveIntegerField(_("合计"))
    maximum = models.PositiveIntegerField(_("最大值"), default=0)
    computed_on = models.DateField(_("统计日期"))

    class Meta:
        verbose_name = _("每日看板统计")
        verbose_name_plural = _("每日看板统计")
        constraints = [models.UniqueConstraint(fields=["village", "figure"], name="dailyfigure_unique")]

    def __str__(self) -> str:
        return f"{self.village} {self.figure} {self.computed_on}: {self.value}/{self.total}"

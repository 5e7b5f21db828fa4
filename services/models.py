"""The fields of help (§4) and the departments they route to (accounts.Department), referrals
and their history, urgent-case records (个案会商, 一事一议), the rule-driven township lists of §4
(dry seasons and water deliveries, winter–spring relief needs) and service providers (五社联动)."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Area, Department, Role, User
from accounts.scoping import ScopeRule, user_roles
from beneficiaries.models import Household, Person, _cadre_household_q, household_child_scope


class Field(models.Model):
    """One of the eleven fields of help of §4, with its lead and responsible units. A referral of
    the field goes to `route_to` unless the sender overrides it, and is due within
    `deadline_days` working days. Edited by the prefecture bureau (each change audited)."""

    number = models.PositiveSmallIntegerField(_("序号"), unique=True)
    code = models.SlugField(_("领域代码"), max_length=40, unique=True)
    name = models.CharField(_("领域"), max_length=50, unique=True)
    notes = models.TextField(_("工作职责"), blank=True)
    lead_departments = models.ManyToManyField(Department, verbose_name=_("牵头单位"), related_name="lead_fields")
    responsible_departments = models.ManyToManyField(
        Department, verbose_name=_("责任单位"), related_name="responsible_fields", blank=True
    )
    route_to = models.ForeignKey(
        Department, verbose_name=_("默认受理部门"), on_delete=models.PROTECT, related_name="routed_fields"
    )
    deadline_days = models.PositiveSmallIntegerField(_("办理时限(工作日)"))

    class Meta:
        verbose_name = _("帮扶领域")
        verbose_name_plural = _("帮扶领域")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(condition=Q(deadline_days__gte=1, deadline_days__lte=60), name="field_deadline_1_to_60"),
        ]

    def __str__(self) -> str:
        return self.name


def liaison_department_ids(user: User) -> list[int]:
    return [r.department_id for r in user_roles(user) if r.role == Role.DEPARTMENT and r.department_id]


def _referral_assignment(user: User) -> Q | None:
    """A liaison reaches the referrals addressed to their department; a cadre those of the
    households paired to them (to follow the outcome)."""
    parts = []
    departments = liaison_department_ids(user)
    if departments:
        parts.append(Q(department_id__in=departments))
    cadre = _cadre_household_q(user, "household__")
    if cadre is not None:
        parts.append(cadre)
    if not parts:
        return None
    q = parts[0]
    for p in parts[1:]:
        q |= p
    return q


class ReferralStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    ACCEPTED = "accepted", _("已受理")
    IN_PROGRESS = "in_progress", _("办理中")
    RESOLVED = "resolved", _("已办结")
    DECLINED = "declined", _("不予受理")


OPEN_STATUSES = (ReferralStatus.SUBMITTED, ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS)


class ProviderKind(models.TextChoices):
    COMMUNITY = "community", _("社区")
    SOCIAL_ORG = "social_org", _("社会组织")
    SOCIAL_WORKER = "social_worker", _("社会工作者")
    VOLUNTEER = "volunteer", _("社区志愿者")
    CHARITY = "charity", _("社会慈善资源")


class ServiceKind(models.TextChoices):
    """The services of §4(8), and the needs of the visit checklist (§3(5))."""

    DAILY_CARE = "daily_care", _("生活照料")
    REHAB = "rehab", _("康复护理")
    EMOTIONAL = "emotional", _("精神慰藉/心理疏导")
    EMERGENCY = "emergency", _("紧急救援")
    SKILLS = "skills", _("能力提升")
    INTEGRATION = "integration", _("社会融入")
    RESOURCES = "resources", _("资源链接")
    DONATION = "donation", _("慈善捐赠")


class ServiceProvider(models.Model):
    """A social organisation, social worker, volunteer team or charity resource (五社联动): what it
    offers and the areas it serves (a county, township or village serves everything under it).
    Not personal data: every signed-in user may look providers up; the area roles that cover
    `owner_area` maintain them."""

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=14, choices=ProviderKind.choices)
    services = ArrayField(
        models.CharField(max_length=12, choices=ServiceKind.choices), verbose_name=_("提供服务"), default=list
    )
    areas = models.ManyToManyField(Area, verbose_name=_("服务区域"), related_name="+")
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    note = models.TextField(_("说明"), blank=True)
    active = models.BooleanField(_("在用"), default=True)
    owner_area = models.ForeignKey(Area, verbose_name=_("登记单位所在区划"), on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(User, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scope_rule = ScopeRule(assignment=lambda user: Q(pk__isnull=False) if user.is_authenticated else None)

    class Meta:
        verbose_name = _("社会服务资源")
        verbose_name_plural = _("社会服务资源")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["owner_area", "name"], name="provider_unique_name_per_area")]

    def __str__(self) -> str:
        return self.name

    @property
    def service_labels(self) -> list[str]:
        return [str(ServiceKind(s).label) for s in self.services if s in ServiceKind.values]


class Referral(models.Model):
    """A case sent from a household (or a visit finding) to one department (一门受理、协同办理):
    submitted → accepted → in progress → resolved or declined, due within the field's working
    days (24 hours when urgent), escalated to the county civil affairs office when late."""

    household = models.ForeignKey(Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="referrals")
    person = models.ForeignKey(
        Person, verbose_name=_("涉及成员"), null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    field = models.ForeignKey(Field, verbose_name=_("帮扶领域"), on_delete=models.PROTECT, related_name="referrals")
    department = models.ForeignKey(
        Department, verbose_name=_("受理部门"), on_delete=models.PROTECT, related_name="referrals"
    )
    rerouted = models.BooleanField(_("改派部门"), default=False)
    problem = models.TextField(_("困难和诉求"))
    contact = models.CharField(_("联系电话"), max_length=20, blank=True)
    urgent = models.BooleanField(_("急难"), default=False)
    status = models.CharField(
        _("状态"), max_length=12, choices=ReferralStatus.choices, default=ReferralStatus.SUBMITTED
    )
    submitted_at = models.DateTimeField(_("提交时间"))
    due_at = models.DateTimeField(_("办理期限"))
    # The deadline counted days of a year without a holiday table (Mon–Fri assumed); recomputed
    # when the prefecture bureau enters that year (services.holidays).
    due_provisional = models.BooleanField(_("期限暂定"), default=False)
    outcome = models.TextField(_("办理结果"), blank=True)
    decline_reason = models.TextField(_("不予受理理由"), blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("超期上报时间"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        Area, verbose_name=_("上报至"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    provider = models.ForeignKey(
        ServiceProvider, verbose_name=_("对接服务资源"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="referrals",
    )
    # The visit finding this referral came from; resolving the referral closes it.
    finding = models.ForeignKey(
        "visits.Finding", verbose_name=_("来源问题"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="referrals",
    )
    created_by = models.ForeignKey(User, verbose_name=_("转介人"), on_delete=models.PROTECT, related_name="+")

    scope_rule = ScopeRule(area="household__village__code", assignment=_referral_assignment)

    class Meta:
        verbose_name = _("转介")
        verbose_name_plural = _("转介")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["department", "status", "due_at"], name="referral_inbox_idx"),
            models.Index(fields=["due_at"], condition=Q(status__in=["submitted", "accepted", "in_progress"]),
                         name="referral_open_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(status="resolved") | ~Q(outcome=""), name="referral_resolved_has_outcome"),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""), name="referral_declined_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["resolved", "declined"], closed_at__isnull=False)
                | Q(status__in=["submitted", "accepted", "in_progress"], closed_at__isnull=True),
                name="referral_closed_iff_terminal",
            ),
            models.CheckConstraint(
                condition=Q(escalated_at__isnull=True, escalated_to__isnull=True)
                | Q(escalated_at__isnull=False, escalated_to__isnull=False),
                name="referral_escalation_has_target",
            ),
            models.CheckConstraint(condition=Q(due_at__gt=models.F("submitted_at")), name="referral_due_after_submit"),
        ]

    def __str__(self) -> str:
        return f"{self.household} · {self.field} → {self.department}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ReferralAction(models.TextChoices):
    SUBMIT = "submit", _("提交转介")
    ACCEPT = "accept", _("受理")
    START = "start", _("开始办理")
    RESOLVE = "resolve", _("办结")
    DECLINE = "decline", _("不予受理")
    NOTE = "note", _("进展记录")
    ESCALATE = "escalate", _("超期上报县(市)民政")
    MATCH = "match", _("对接服务资源")


class ReferralEvent(models.Model):
    """One step in a referral's timeline, with when and who (none: the daily job).
    Append-only (database trigger)."""

    referral = models.ForeignKey(Referral, verbose_name=_("转介"), on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("操作"), max_length=10, choices=ReferralAction.choices)
    from_status = models.CharField(_("原状态"), max_length=12, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12, choices=ReferralStatus.choices)
    note = models.TextField(_("说明"), blank=True)
    actor = models.ForeignKey(
        User, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("转介办理记录")
        verbose_name_plural = _("转介办理记录")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["referral", "at"], name="referralevent_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.get_action_display()}"


class CaseConference(models.Model):
    """个案会商: an urgent case discussed by the units concerned (§4(1))."""

    household = models.ForeignKey(
        Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="case_conferences"
    )
    referral = models.ForeignKey(
        Referral, verbose_name=_("相关转介"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="case_conferences",
    )
    held_on = models.DateField(_("会商日期"))
    participants = models.TextField(_("参会单位和人员"))
    topic = models.CharField(_("会商事项"), max_length=200)
    decision = models.TextField(_("会商意见"))
    recorded_by = models.ForeignKey(User, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("个案会商")
        verbose_name_plural = _("个案会商")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.household} {self.held_on} {self.topic}"


class OneCaseDecision(models.Model):
    """一事一议: a one-off decision on a household's particular difficulty (§4(1))."""

    household = models.ForeignKey(
        Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="one_case_decisions"
    )
    referral = models.ForeignKey(
        Referral, verbose_name=_("相关转介"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="one_case_decisions",
    )
    decided_on = models.DateField(_("议定日期"))
    matter = models.TextField(_("议定事项"))
    decision = models.TextField(_("议定结果"))
    amount_fen = models.PositiveBigIntegerField(_("救助金额(分)"), null=True, blank=True)
    approved_by = models.CharField(_("审批人"), max_length=100)
    recorded_by = models.ForeignKey(User, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("一事一议")
        verbose_name_plural = _("一事一议")
        ordering = ["-decided_on", "-id"]

    def __str__(self) -> str:
        return f"{self.household} {self.decided_on}"


# --- working days: the holiday tables (节假日安排) ------------------------------------------


class HolidayDayKind(models.TextChoices):
    OFF = "off", _("放假")
    WORK = "work", _("上班")


class HolidayYear(models.Model):
    """One year's holiday table, from the State Council's yearly notice, kept by the prefecture
    bureau. A year without a row is unknown: deadlines counting its days are provisional."""

    year = models.PositiveSmallIntegerField(_("年份"), primary_key=True)
    source = models.CharField(_("依据"), max_length=200)
    entered_by = models.ForeignKey(User, verbose_name=_("录入人"), null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    entered_at = models.DateTimeField(_("录入时间"), auto_now=True)

    class Meta:
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")
        ordering = ["-year"]
        constraints = [models.CheckConstraint(condition=Q(year__gte=2000, year__lte=2100), name="holiday_year_range")]

    def __str__(self) -> str:
        return f"{self.year}"

    @property
    def preset(self) -> bool:
        """Seeded at installation from the published notices (services.holidays), not typed in."""
        return self.entered_by_id is None and self.source.startswith("chinesecalendar")

    @property
    def source_display(self) -> str:
        """The 依据 as a person reads it: a preset table names the notice, not the library it came from."""
        if self.preset:
            return _("国务院办公厅关于当年部分节假日安排的通知（系统预置）")
        return self.source

    @property
    def entered_by_display(self) -> str:
        if self.entered_by_id:
            return self.entered_by.display_name
        return _("系统预置") if self.preset else "—"


class HolidayDay(models.Model):
    """A day that differs from Monday–Friday: a holiday (放假, also its weekend days) or a
    make-up working day (调休上班) on a weekend."""

    day = models.DateField(_("日期"), primary_key=True)
    year = models.ForeignKey(HolidayYear, verbose_name=_("年份"), on_delete=models.CASCADE, related_name="days")
    kind = models.CharField(_("类型"), max_length=4, choices=HolidayDayKind.choices)
    name = models.CharField(_("节日"), max_length=40)

    class Meta:
        verbose_name = _("节假日")
        verbose_name_plural = _("节假日")
        ordering = ["day"]
        constraints = [models.CheckConstraint(condition=Q(day__year=models.F("year_id")), name="holiday_day_in_its_year")]

    def __str__(self) -> str:
        return f"{self.day} {self.get_kind_display()} {self.name}"

"""Early warning (关爱预警): signals, the warnings they combine into, their verification by the
township, and the household's own door (door card → help request). See docs/early-warning.md."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Area, User
from accounts.scoping import ScopeRule
from beneficiaries.models import Household, household_child_scope


class WarningLevel(models.TextChoices):
    ATTENTION = "attention", _("关注")
    WARNING = "warning", _("预警")
    URGENT = "urgent", _("紧急")


# Highest first: the order of the lists.
LEVEL_RANK = {WarningLevel.URGENT: 3, WarningLevel.WARNING: 2, WarningLevel.ATTENTION: 1}


class SignalKind(models.TextChoices):
    HEALTH_WORSE = "health_worse", _("健康变差")
    HEALTH_CRITICAL = "health_critical", _("健康转为病重")
    LIVING_WORSE = "living_worse", _("衣食住医变差")
    SAFETY_WORSE = "safety_worse", _("水电气暖房屋安全变差")
    HAZARD_OPEN = "hazard_open", _("隐患逾期未排除")
    NEED_REPEATED = "need_repeated", _("需求反复未转介")
    WISH_FOR_HELP = "wish_for_help", _("本人求助意愿")
    VISIT_GAP = "visit_gap", _("长期未走访")
    POOR_EVALUATION = "poor_evaluation", _("代管/照料履职不合格")
    REFERRAL_LATE = "referral_late", _("转介超期")
    HELP_REQUEST = "help_request", _("一键求助")
    CUSTODY_PATTERN = "custody_pattern", _("代管支取异常")
    MEDICAL_COST = "medical_cost", _("医疗费用个人负担高")
    DISABILITY_CHANGE = "disability_change", _("残疾等级变化")
    DEATH_IN_HOUSEHOLD = "death_in_household", _("家庭成员死亡")
    EMERGENCY = "emergency", _("应急事件覆盖本村")


class Signal(models.Model):
    """One dated fact that may mean a household needs a look, with where it came from. Written
    by the nightly job (and at once for a help request); `key` makes a rerun store it once."""

    household = models.ForeignKey(Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("信号类型"), max_length=20, choices=SignalKind.choices)
    observed_on = models.DateField(_("发生日期"))
    words = models.CharField(_("内容"), max_length=200)
    source = models.CharField(_("来源"), max_length=100)
    key = models.CharField(_("来源标识"), max_length=80, unique=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("预警信号")
        verbose_name_plural = _("预警信号")
        ordering = ["household_id", "-observed_on", "id"]
        indexes = [models.Index(fields=["observed_on", "household"], name="signal_day_household_idx")]

    def __str__(self) -> str:
        return self.words


class WarningPolicy(models.Model):
    """A county's weights and thresholds (the defaults of earlywarning.rules apply where a county
    has none). The latest row effective on a day applies; earlier rows stay as history."""

    county = models.ForeignKey(Area, verbose_name=_("县(市)"), on_delete=models.PROTECT, related_name="+")
    weights = models.JSONField(_("信号权重"), default=dict, blank=True,
                               help_text=_("信号类型 → 分值；未列出的用默认值"))
    attention_at = models.PositiveSmallIntegerField(_("关注阈值"))
    warning_at = models.PositiveSmallIntegerField(_("预警阈值"))
    urgent_at = models.PositiveSmallIntegerField(_("紧急阈值"))
    window_days = models.PositiveSmallIntegerField(_("信号有效天数"))
    effective_on = models.DateField(_("生效日期"))
    reason = models.CharField(_("调整理由"), max_length=200)
    set_by = models.ForeignKey(User, verbose_name=_("设置人"), on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(_("设置时间"), auto_now_add=True)

    scope_rule = ScopeRule(area="county__code")

    class Meta:
        verbose_name = _("预警规则设置")
        verbose_name_plural = _("预警规则设置")
        ordering = ["county_id", "-effective_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(attention_at__gte=1) & Q(warning_at__gt=models.F("attention_at"))
                                   & Q(urgent_at__gt=models.F("warning_at")), name="warning_policy_thresholds_rise"),
            models.CheckConstraint(condition=Q(window_days__gte=1, window_days__lte=365),
                                   name="warning_policy_window_1_to_365"),
        ]

    def __str__(self) -> str:
        return f"{self.county_id} {self.effective_on}"

    @property
    def weight_labels(self) -> list[tuple[str, int]]:
        return [(str(SignalKind(k).label), v) for k, v in self.weights.items() if k in SignalKind.values]


class VerificationOutcome(models.TextChoices):
    HELPED = "helped", _("已核实并帮扶")
    NO_HELP_NEEDED = "no_help", _("已核实无需帮扶")
    WRONG = "wrong", _("信息有误")


class CareWarning(models.Model):
    """A household's warning: its level, the signals behind it, the deadline by which the
    township verifies it. One open warning per household; a later, higher score raises it."""

    household = models.ForeignKey(Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("预警等级"), max_length=10, choices=WarningLevel.choices)
    score = models.PositiveSmallIntegerField(_("分值"))
    raised_on = models.DateField(_("预警日期"))
    raised_at = models.DateTimeField(_("预警时间"))
    # None for 关注: it is verified at the next visit, not by a date.
    verify_by = models.DateTimeField(_("核查期限"), null=True, blank=True)
    signals = models.ManyToManyField(Signal, verbose_name=_("预警信号"), related_name="warnings")
    verified_at = models.DateTimeField(_("核查时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("超期上报时间"), null=True, blank=True)
    escalated_to = models.ForeignKey(Area, verbose_name=_("上报至"), null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("关爱预警")
        verbose_name_plural = _("关爱预警")
        ordering = ["-raised_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["household"], condition=Q(verified_at__isnull=True),
                                    name="care_warning_one_open_per_household"),
            models.CheckConstraint(condition=Q(level="attention") | Q(verify_by__isnull=False),
                                   name="care_warning_deadline_unless_attention"),
        ]
        indexes = [models.Index(fields=["verify_by"], condition=Q(verified_at__isnull=True),
                                name="care_warning_open_due_idx")]

    def __str__(self) -> str:
        return f"{self.get_level_display()} · {self.household}"

    @property
    def is_open(self) -> bool:
        return self.verified_at is None


class Verification(models.Model):
    """The township's verification of a warning: what it found, why, and what followed."""

    warning = models.OneToOneField(CareWarning, verbose_name=_("关爱预警"), on_delete=models.PROTECT,
                                   related_name="verification")
    outcome = models.CharField(_("核查结果"), max_length=10, choices=VerificationOutcome.choices)
    reason = models.CharField(_("核查说明"), max_length=300)
    follow_up = models.CharField(_("后续帮扶"), max_length=200, blank=True,
                                 help_text=_("随后的转介、救助申请或走访"))
    in_time = models.BooleanField(_("按期核查"))
    verified_by = models.ForeignKey(User, verbose_name=_("核查人"), on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField(_("核查时间"))

    scope_rule = ScopeRule(area="warning__household__village__code")

    class Meta:
        verbose_name = _("预警核查")
        verbose_name_plural = _("预警核查")
        constraints = [
            models.CheckConstraint(condition=~Q(outcome="helped") | ~Q(follow_up=""),
                                   name="verification_helped_names_follow_up"),
            models.CheckConstraint(condition=~Q(reason=""), name="verification_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} · {self.warning_id}"


class DoorCard(models.Model):
    """The door card (爱心牌) of a household: its QR carries `token`. Reprinting revokes the old
    token; a revoked token opens nothing."""

    household = models.ForeignKey(Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="+")
    token = models.CharField(_("二维码标识"), max_length=32, unique=True)
    issued_at = models.DateTimeField(_("制发时间"))
    issued_by = models.ForeignKey(User, verbose_name=_("制发人"), on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("爱心牌")
        verbose_name_plural = _("爱心牌")
        ordering = ["-issued_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["household"], condition=Q(revoked_at__isnull=True),
                                               name="door_card_one_valid_per_household")]

    def __str__(self) -> str:
        return f"爱心牌 · {self.household_id}"


class HelpKind(models.TextChoices):
    ILL = "ill", _("生病/受伤，需要看病")
    FOOD = "food", _("缺吃缺穿")
    HOUSE = "house", _("房屋/水电气暖出问题")
    ALONE = "alone", _("无人照顾")
    MONEY = "money", _("急需用钱")
    OTHER = "other", _("其他")


class HelpRequest(models.Model):
    """A help request (一键求助) made from the door card's page by the household or a neighbour.
    Reaches the paired cadre and the township as a 紧急 signal; closed with what was done."""

    card = models.ForeignKey(DoorCard, verbose_name=_("爱心牌"), on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="+")
    kinds = ArrayField(models.CharField(max_length=10, choices=HelpKind.choices), verbose_name=_("需要什么帮助"))
    text = models.CharField(_("情况说明"), max_length=300, blank=True)
    callback_phone = models.CharField(_("回拨电话"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("求助时间"))
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_by = models.ForeignKey(User, verbose_name=_("办结人"), null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    outcome = models.CharField(_("处理情况"), max_length=300, blank=True)

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("一键求助")
        verbose_name_plural = _("一键求助")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(closed_at__isnull=True) | ~Q(outcome=""),
                                   name="help_request_closed_with_outcome"),
            models.CheckConstraint(condition=~Q(kinds=[]), name="help_request_names_a_need"),
        ]

    def __str__(self) -> str:
        return f"一键求助 · {self.household_id}"

    @property
    def kind_labels(self) -> list[str]:
        return [str(HelpKind(k).label) for k in self.kinds]

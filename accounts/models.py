"""People and places: the Area tree, users and their roles, the departments and third-party
agencies roles are bound to, and the append-only audit log."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from . import areacodes


class AreaLevel(models.TextChoices):
    PREFECTURE = "prefecture", _("州")
    COUNTY = "county", _("县(市)")
    TOWNSHIP = "township", _("乡镇(街道)")
    VILLAGE = "village", _("村(居)")


# How many leading digits of the 12-digit statistical code are significant at each level.
# Every descendant of an area shares that prefix, so scoping needs no tree walk.
PREFIX_LENGTH = {level: areacodes.PREFIX_LENGTH[level] for level in AreaLevel}

CHILD_LEVEL = {
    AreaLevel.PREFECTURE: AreaLevel.COUNTY,
    AreaLevel.COUNTY: AreaLevel.TOWNSHIP,
    AreaLevel.TOWNSHIP: AreaLevel.VILLAGE,
}


def short_area_name(name: str) -> str:
    """Village names are published as "…村村民委员会"; people say "…村"."""
    for suffix in ("村民委员会", "社区居民委员会", "居民委员会", "村委会"):
        if name.endswith(suffix) and len(name) > len(suffix):
            trimmed = name[: -len(suffix)]
            return trimmed if suffix != "社区居民委员会" else trimmed + "社区"
    return name


class Area(models.Model):
    """An administrative division; its primary key is the 12-digit statistical code."""

    # Django gives a varchar primary key a second "_like" index (varchar_pattern_ops), which is
    # what LIKE 'prefix%' scoping uses.
    code = models.CharField(_("区划代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("级别"), max_length=12, choices=AreaLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["level", "code"], name="area_level_code_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(code__regex=r"^[0-9]{12}$"), name="area_code_is_12_digits"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def prefix(self) -> str:
        return self.code[: PREFIX_LENGTH[self.level]]

    @property
    def short_name(self) -> str:
        return short_area_name(self.name)

    def descendants(self) -> models.QuerySet[Area]:
        return Area.objects.filter(code__startswith=self.prefix).exclude(code=self.code)

    def contains(self, code: str) -> bool:
        return code.startswith(self.prefix)

    def ancestors(self) -> list[Area]:
        """Prefecture first; the area itself is not included."""
        codes = areacodes.ancestor_codes(self.code, include_self=False)
        by_code = Area.objects.in_bulk(codes)
        return [by_code[c] for c in codes if c in by_code]


class Department(models.Model):
    """A lead or responsible unit of §4 (州医保局, 州教育局 …): liaisons and API tokens are bound to
    it, and it receives referrals. Kept beside Role because a liaison's access is decided by it.
    (Moved from services: the table keeps its name.)"""

    code = models.SlugField(_("部门代码"), max_length=40, unique=True)
    name = models.CharField(_("部门名称"), max_length=100, unique=True)

    class Meta:
        db_table = "services_department"
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Agency(models.Model):
    """A contracted third-party agency (第三方机构) whose staff visit households assigned to it: a
    cadre's access reaches the agency's households. (Moved from beneficiaries: the table keeps
    its name.)"""

    name = models.CharField(_("机构名称"), max_length=100)
    county = models.ForeignKey(Area, verbose_name=_("服务县(市)"), on_delete=models.PROTECT, related_name="+")
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)

    class Meta:
        db_table = "beneficiaries_agency"
        verbose_name = _("第三方机构")
        verbose_name_plural = _("第三方机构")
        constraints = [models.UniqueConstraint(fields=["county", "name"], name="agency_unique_name_per_county")]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in. Real name and phone are what colleagues know them by."""

    real_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号码"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        indexes = [models.Index(Upper("username"), name="user_username_upper_idx")]

    def __str__(self) -> str:
        return self.real_name or self.username

    @property
    def display_name(self) -> str:
        return self.real_name or self.get_full_name() or self.username


class Role(models.TextChoices):
    CADRE = "cadre", _("结对帮扶干部")
    VILLAGE_COMMITTEE = "village_committee", _("村(居)民委员会")
    TOWNSHIP = "township", _("乡镇(街道)")
    COUNTY = "county", _("县(市)民政")
    PREFECTURE = "prefecture", _("州民政局")
    DEPARTMENT = "department", _("部门联络员")
    FINANCIAL_SUPERVISOR = "financial_supervisor", _("金融监管")


# Roles that see every row of their area. A cadre sees only assigned households, a department
# liaison only referrals to the department, a financial supervisor only sampled accounts.
AREA_ROLES = frozenset({Role.VILLAGE_COMMITTEE, Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE})

# The level of area each area-bound role must be attached to.
ROLE_AREA_LEVEL = {
    Role.VILLAGE_COMMITTEE: AreaLevel.VILLAGE,
    Role.TOWNSHIP: AreaLevel.TOWNSHIP,
    Role.COUNTY: AreaLevel.COUNTY,
    Role.PREFECTURE: AreaLevel.PREFECTURE,
}


class RoleAssignment(models.Model):
    """One role of one user, bound to an Area (or, for a liaison, to a Department)."""

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("角色"), max_length=24, choices=Role.choices)
    area = models.ForeignKey(
        Area, verbose_name=_("所属区划"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("所属部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="liaisons",
    )
    created_at = models.DateTimeField(_("授予时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(role="department", department__isnull=False, area__isnull=True))
                | (~models.Q(role="department") & models.Q(area__isnull=False, department__isnull=True)),
                name="role_bound_to_area_or_department",
            ),
            models.UniqueConstraint(fields=["user", "role", "area"], name="role_unique_per_area"),
            models.UniqueConstraint(fields=["user", "role", "department"], name="role_unique_per_department"),
        ]

    def __str__(self) -> str:
        where = self.department or self.area
        return f"{self.get_role_display()} · {where}"


class AuditAction(models.TextChoices):
    VIEW = "view", _("查看")
    CREATE = "create", _("新增")
    CHANGE = "change", _("修改")
    EXPORT = "export", _("导出")
    REVEAL = "reveal", _("查看完整证件号")
    LOGIN = "login", _("登录")
    LOGOUT = "logout", _("退出")
    IMPORT = "import", _("导入")
    DENIED = "denied", _("拒绝访问")


class AuditEvent(models.Model):
    """Who did what to which record, when and from where. Append-only: the database refuses
    UPDATE and DELETE on this table (see the trigger in migration 0002)."""

    actor = models.ForeignKey(
        User, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("操作"), max_length=12, choices=AuditAction.choices)
    object_type = models.CharField(_("对象类型"), max_length=60, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=40, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP地址"), null=True, blank=True)
    details = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["actor", "-at"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.get_action_display()} {self.object_repr}"


class NotifyChannel(models.TextChoices):
    """Where a notification goes besides the in-app inbox (which always gets it)."""

    SMS = "sms", _("短信")
    WECOM = "wecom", _("企业微信群")


class Notification(models.Model):
    """One message in a user's in-app inbox, written only by accounts.notifications.notify().
    `key` makes every producer idempotent: the same event never notifies the same person twice
    (and so is never sent twice by SMS or WeCom either)."""

    recipient = models.ForeignKey(User, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notifications")
    key = models.CharField(_("事件标识"), max_length=80)
    title = models.CharField(_("标题"), max_length=200)
    household = models.ForeignKey(
        "beneficiaries.Household", verbose_name=_("家庭"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    url = models.CharField(_("链接"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    # External channels asked for by the producer, and those already claimed for sending.
    # (Database defaults too, so a raw INSERT written before these columns existed still works.)
    channels = ArrayField(models.CharField(max_length=8, choices=NotifyChannel.choices), verbose_name=_("外发渠道"),
                          default=list, db_default=[], blank=True)
    delivered = ArrayField(models.CharField(max_length=8), verbose_name=_("已外发"), default=list, db_default=[],
                           blank=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_event")]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx"),
            models.Index(fields=["recipient"], condition=models.Q(read_at__isnull=True), name="notification_unread_idx"),
        ]

    def __str__(self) -> str:
        return self.title


# accounts.scoping imports this module, so the rules are bound once both exist.
from .scoping import ScopeRule  # noqa: E402

Notification.scope_rule = ScopeRule(
    assignment=lambda user: models.Q(recipient=user) if user.is_authenticated else None
)
Agency.scope_rule = ScopeRule(area="county__code")


class PasswordHistory(models.Model):
    """Hashes of a user's recent passwords (accounts.passwords.NotRecentlyUsedValidator)."""

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(_("密码哈希"), max_length=128)
    created_at = models.DateTimeField(_("设置时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        indexes = [models.Index(fields=["user", "-created_at"], name="password_history_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"

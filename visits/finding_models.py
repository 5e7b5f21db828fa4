"""Finding management beyond its status: who is responsible, until when, and the photo that
shows it was put right. Every change is a row (append-only, database trigger) with its reason."""

from __future__ import annotations

from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.scoping import ScopeRule
from beneficiaries.models import _cadre_household_q


class FindingChangeKind(models.TextChoices):
    OWNER = "owner", _("改派责任人")
    DEADLINE = "deadline", _("调整办结期限")


class FindingChange(models.Model):
    """A reassignment or a new deadline of a finding: old and new value, why, who, when."""

    finding = models.ForeignKey("visits.Finding", verbose_name=_("问题"), on_delete=models.PROTECT,
                                related_name="changes")
    kind = models.CharField(_("变更类型"), max_length=10, choices=FindingChangeKind.choices)
    old_value = models.CharField(_("原值"), max_length=100)
    new_value = models.CharField(_("新值"), max_length=100)
    reason = models.TextField(_("理由"))
    actor = models.ForeignKey(User, verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    scope_rule = ScopeRule(area="finding__household__village__code",
                           assignment=lambda user: _cadre_household_q(user, "finding__household__"))

    class Meta:
        verbose_name = _("问题变更")
        verbose_name_plural = _("问题变更")
        ordering = ["at", "id"]
        constraints = [models.CheckConstraint(condition=~models.Q(reason=""), name="findingchange_has_reason")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.old_value} → {self.new_value}"


def _finding_photo_path(instance: FindingPhoto, filename: str) -> str:
    return f"findings/{instance.finding_id}/{filename}"


class FindingPhoto(models.Model):
    """A photo taken when a finding is put right (整改后照片), kept with the closure."""

    finding = models.ForeignKey("visits.Finding", verbose_name=_("问题"), on_delete=models.PROTECT,
                                related_name="photos")
    image = models.FileField(
        _("照片"), upload_to=_finding_photo_path,
        validators=[FileExtensionValidator(["jpg", "jpeg", "png", "heic", "webp"])],
    )
    uploaded_by = models.ForeignKey(User, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    scope_rule = ScopeRule(area="finding__household__village__code",
                           assignment=lambda user: _cadre_household_q(user, "finding__household__"))

    class Meta:
        verbose_name = _("整改照片")
        verbose_name_plural = _("整改照片")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.image.name

"""Departments and their fields of help (§4), referrals and service providers."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    """A lead or responsible unit of §4 (州医保局, 州教育局 …) that receives referrals."""

    code = models.SlugField(_("部门代码"), max_length=40, unique=True)
    name = models.CharField(_("部门名称"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

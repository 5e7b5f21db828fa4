"""An import job: one uploaded file, checked (a dry run) and then, once confirmed, committed."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class ImportKind(models.TextChoices):
    ROSTER = "roster", _("花名册")
    VISITS = "visits", _("纸质走访台账")


class ImportStatus(models.TextChoices):
    CHECKING = "checking", _("正在检查")
    CHECKED = "checked", _("检查通过，待确认")
    INVALID = "invalid", _("有错误，未导入")
    COMMITTING = "committing", _("正在导入")
    DONE = "done", _("已导入")
    FAILED = "failed", _("导入失败，未写入任何数据")
    EXPIRED = "expired", _("已过期（未确认的文件已删除）")


RUNNING = (ImportStatus.CHECKING, ImportStatus.COMMITTING)


class ImportJob(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("类型"), max_length=10, choices=ImportKind.choices)
    created_by = models.ForeignKey(User, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("文件大小"), default=0)
    status = models.CharField(_("状态"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.CHECKING)
    rows = models.PositiveIntegerField(_("数据行数"), default=0)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    # What the result page shows: a summary line, counts, the first errors and preview rows.
    summary = models.JSONField(_("结果"), default=dict, blank=True)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # When a process took the commit (imports.jobs.run_commit); a redelivered task finds it set
    # and leaves the job alone. Cleared when a failed job is run again.
    started_at = models.DateTimeField(_("开始导入时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="importjob_status_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename}"

    @property
    def running(self) -> bool:
        return self.status in RUNNING


class ExportStatus(models.TextChoices):
    RUNNING = "running", _("正在生成")
    DONE = "done", _("已生成，可以下载")
    FAILED = "failed", _("生成失败")
    EXPIRED = "expired", _("已过期（文件已删除）")


class ExportJob(models.Model):
    """A download too big to write within the request (issue 25): written by a Celery task into
    a file that only its requester may download, for 24 hours."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("类型"), max_length=20)
    title = models.CharField(_("名称"), max_length=100)
    created_by = models.ForeignKey(User, verbose_name=_("导出人"), on_delete=models.PROTECT, related_name="+")
    # What the task needs to write the same file the request would have: the request's query.
    params = models.JSONField(_("条件"), default=dict, blank=True)
    fmt = models.CharField(_("格式"), max_length=4)
    filename = models.CharField(_("文件名"), max_length=200)
    status = models.CharField(_("状态"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.RUNNING)
    rows = models.PositiveIntegerField(_("数据行数"), default=0)
    size = models.PositiveBigIntegerField(_("文件大小"), default=0)
    created_at = models.DateTimeField(_("导出时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="exportjob_status_idx")]

    def __str__(self) -> str:
        return f"{self.title} {self.filename}"

    @property
    def running(self) -> bool:
        return self.status == ExportStatus.RUNNING

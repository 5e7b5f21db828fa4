from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """Import jobs: an uploaded sheet checked and committed as a job (in a Celery task when the
    file is large), with its progress, its result page and the list of all its errors."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "imports"
    verbose_name = "导入任务"

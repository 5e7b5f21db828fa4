from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BeneficiariesConfig(AppConfig):
    name = "beneficiaries"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("关爱对象")

    def ready(self) -> None:
        from imports import registry
        from imports.models import ImportKind

        from .import_job import roster_job

        registry.register(ImportKind.ROSTER, roster_job)

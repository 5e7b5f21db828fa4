from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BeneficiariesConfig(AppConfig):
    name = "beneficiaries"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("关爱对象")

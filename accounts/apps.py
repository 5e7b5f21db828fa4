from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("账号与区划")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)

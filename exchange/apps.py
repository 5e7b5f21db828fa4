from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "exchange"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("数据共享")

    def ready(self) -> None:
        from .api import schema  # noqa: F401  (registers the token scheme with drf-spectacular)

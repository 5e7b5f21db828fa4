"""Password rules of our own: a new password may not repeat the current one or a recent one."""

from __future__ import annotations

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class NotRecentlyUsedValidator:
    """Refuse the current password and the last `history` passwords (their hashes are kept in
    accounts.PasswordHistory, written by a database trigger on every write of a password: set_password,
bulk_create, commands, raw SQL — migration accounts 0007)."""

    def __init__(self, history: int = 5):
        self.history = history

    def _recent_hashes(self, user) -> list[str]:
        from .models import PasswordHistory, User

        current = User.objects.filter(pk=user.pk).values_list("password", flat=True).first()
        recent = list(PasswordHistory.objects.filter(user=user).order_by("-created_at", "-id")
                      .values_list("password", flat=True)[: self.history])
        return [h for h in (current, *recent) if h]

    def validate(self, password: str, user=None) -> None:
        if user is None or not getattr(user, "pk", None):
            return
        if any(check_password(password, encoded) for encoded in self._recent_hashes(user)):
            raise ValidationError(
                _("新密码不能与当前密码或最近 %(n)d 次使用过的密码相同，请换一个新密码。") % {"n": self.history},
                code="password_reused",
            )

    def password_changed(self, password: str, user=None) -> None:
        """The new hash was recorded by the database (trigger accounts_user_password_history, on
        every write of `password`, however it is made); here the history is trimmed."""
        from .models import PasswordHistory

        if user is None or not getattr(user, "pk", None) or not user.password:
            return
        keep = PasswordHistory.objects.filter(user=user).order_by("-created_at", "-id").values_list("id", flat=True)[: self.history]
        PasswordHistory.objects.filter(user=user).exclude(id__in=list(keep)).delete()

    def get_help_text(self) -> str:
        return _("新密码不能与当前密码或最近 %(n)d 次使用过的密码相同。") % {"n": self.history}


# Django's zh_Hans catalogue has no translation of the built-in validators' messages, so these
# subclasses say the same rules in Chinese (AUTH_PASSWORD_VALIDATORS names them).
from django.contrib.auth import password_validation as _pv  # noqa: E402


class MinimumLengthValidator(_pv.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return _("密码太短，至少需要 %(n)d 个字符。") % {"n": self.min_length}

    def get_help_text(self) -> str:
        return _("密码至少 %(n)d 个字符。") % {"n": self.min_length}


class UserAttributeSimilarityValidator(_pv.UserAttributeSimilarityValidator):
    def get_error_message(self) -> str:
        return _("密码与%(verbose_name)s过于相似。")

    def get_help_text(self) -> str:
        return _("密码不能与您的用户名、姓名等个人信息过于相似。")


class CommonPasswordValidator(_pv.CommonPasswordValidator):
    def get_error_message(self) -> str:
        return _("这个密码太常见，容易被猜到，请换一个。")

    def get_help_text(self) -> str:
        return _("不能使用常见密码。")


class NumericPasswordValidator(_pv.NumericPasswordValidator):
    def get_error_message(self) -> str:
        return _("密码不能全部是数字。")

    def get_help_text(self) -> str:
        return _("密码不能全部是数字。")

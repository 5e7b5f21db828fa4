"""Department tokens: `Authorization: Bearer care_xxxxxxxx_…`. Unknown, revoked or expired → 401."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from accounts.models import Role, RoleAssignment

from ..actions import token_digest
from ..models import ApiToken

LAST_USED_EVERY = dt.timedelta(minutes=1)  # write last_used_at at most this often


class TokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(_("令牌格式不正确：应为“Bearer 令牌”。"))
        secret = parts[1].decode("latin-1")
        token = (
            ApiToken.objects.select_related("department", "area", "user")
            .filter(key_hash=token_digest(secret))
            .first()
        )
        now = timezone.now()
        if token is None or token.revoked_at is not None or token.expires_at <= now or not token.user.is_active:
            raise AuthenticationFailed(_("令牌无效、已过期或已被吊销。"))
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        user = token.user
        # The token's department, in memory: the scoping function then treats the token's user as a
        # liaison of that department (referrals addressed to it), and services.actions lets it act.
        user._care_roles = [RoleAssignment(user=user, role=Role.DEPARTMENT, department=token.department)]
        # The second lock (accounts/rls.py): the token's own area, now that the user is known.
        from accounts import rls
        from accounts.models import PREFIX_LENGTH

        rls.apply(token.area.code[: PREFIX_LENGTH[token.area.level]], str(user.pk))
        token.field_ids = frozenset(token.fields.values_list("pk", flat=True))
        token.field_codes = frozenset(token.fields.values_list("code", flat=True))
        return user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="care-api"'

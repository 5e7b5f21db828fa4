from rest_framework.permissions import BasePermission

from ..models import ApiToken


class HasDepartmentToken(BasePermission):
    """Every endpoint needs a valid department token (no session access: pages have their own)."""

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiToken)

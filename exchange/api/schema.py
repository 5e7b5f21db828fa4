"""Tells drf-spectacular how the department token is sent (a Bearer header)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "exchange.api.authentication.TokenAuthentication"
    name = "departmentToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "州民政局签发的部门令牌：Authorization: Bearer care_xxxxxxxx_……"}

from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_paginated_response_schema(self, schema: dict) -> dict:
        """The page's envelope as the reference page shows it (DRF's own has no descriptions)."""
        return {
            "type": "object",
            "required": ["count", "results"],
            "properties": {
                "count": {"type": "integer", "example": 123, "description": _("符合条件的记录总数")},
                "next": {"type": "string", "nullable": True, "format": "uri", "description": _("下一页的地址；最后一页为 null"),
                         "example": "https://care.example.org/api/v1/referrals/?page=4"},
                "previous": {"type": "string", "nullable": True, "format": "uri",
                             "description": _("上一页的地址；第一页为 null"),
                             "example": "https://care.example.org/api/v1/referrals/?page=2"},
                "results": {**schema, "description": _("本页记录")},
            },
        }

"""The quarterly review page in pages: each of its five lists is paged on its own
(``?mismatched=2`` …) so a county with thousands of households gets a page that loads and prints."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

LIST_NAMES = ("mismatched", "entered", "exited", "tier_changes", "gaps")
PER_PAGE = 25


def paged_lists(request: HttpRequest, lists) -> dict[str, Page]:
    return {name: Paginator(getattr(lists, name), PER_PAGE).get_page(request.GET.get(name)) for name in LIST_NAMES}

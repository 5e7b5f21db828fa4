"""Panels other apps put on top of the cadre's list and the desk (early warning's "who needs a
look today"), registered in their AppConfig.ready():

    panels.register(panels.CADRE_LIST, "earlywarning/_cadre_panel.html", cadre_panel_context)

`context(request, today)` returns the panel's template context (scoped, a fixed number of
queries); the page includes the template with it. Visits does not import the apps above it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

CADRE_LIST, DESK = "cadre_list", "desk"


@dataclass(frozen=True)
class Panel:
    template: str
    context: Callable


_panels: dict[str, list[Panel]] = {CADRE_LIST: [], DESK: []}


def register(page: str, template: str, context: Callable) -> None:
    if not any(p.template == template for p in _panels[page]):
        _panels[page].append(Panel(template, context))


def panels_for(page: str, request, today) -> list[dict]:
    return [{"template": p.template, "context": p.context(request, today)} for p in _panels[page]]

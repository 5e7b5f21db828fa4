"""Filling the visit form in a journey: every §3 core item answered unless told otherwise."""

from __future__ import annotations

DEFAULTS = {
    "health": "good", "food": "ok", "clothing": "ok", "housing": "ok", "transport": "ok", "medical": "ok",
    "benefits": "dibao", "family_support": "fulfilled", "house_safety": "safe", "water_safety": "safe",
    "power_safety": "safe", "gas_safety": "none", "heating_safety": "safe", "needs": "none",
}


def answer_checklist(page, wishes: str = "希望干部常来看看", **answers: str) -> None:
    """Tick one answer per core item (DEFAULTS overridden by `answers`) and write the wishes."""
    for name, value in (DEFAULTS | answers).items():
        page.locator(f'input[name="{name}"][value="{value}"]').check()
    page.locator('textarea[name="wishes"]').fill(wishes)
